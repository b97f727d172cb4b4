# check() over a real migration history: the 228 migrations of Ory Hydra
# ($MIGRATOR_CORPORA/hydra), registered on a fresh database.  Optional: it
# skips when MIGRATOR_CORPORA is unset or holds no hydra/ (a user's clone
# has no corpora; make test passes the variable on).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $dir = ($ENV{MIGRATOR_CORPORA} // '') . '/hydra/migrations';
plan skip_all => 'no hydra corpus (MIGRATOR_CORPORA)'
  unless defined $ENV{MIGRATOR_CORPORA} && -d $dir;

sub slurp
{
	my ($path) = @_;
	open my $fh, '<', $path or die "$path: $!";
	local $/;
	return <$fh>;
}

# One register() call per migration, each script dollar-quoted.
my @sql;
opendir my $dh, $dir or die $!;
for my $up (sort grep { /\.up\.sql$/ } readdir $dh)
{
	my ($version, $name) = $up =~ /^(\d+)_(.*)\.up\.sql$/ or die $up;
	my $autocommit = $name =~ s/\.autocommit$// ? 'true' : 'false';
	my ($down) = grep { -f "$dir/$_" } ("$version\_$name.autocommit.down.sql", "$version\_$name.down.sql");
	my $upsql = slurp("$dir/$up");
	my $downsql = slurp("$dir/$down");
	# register() wants a down script for a destructive migration; two hydra
	# migrations that only delete rows have an empty one.
	$downsql = '-- empty in the corpus' if $downsql !~ /\S/;
	die "dollar quote in $up" if "$upsql$downsql" =~ /\$m\$/;
	push @sql, "SELECT 1 FROM migrator.register('$version', \$m\$$upsql\$m\$, \$m\$$downsql\$m\$, "
	  . "name => '$name', plan => 'hydra history', transactional => NOT $autocommit);";
}
closedir $dh;
is(scalar @sql, 228, 'the corpus holds 228 migrations');

my $node = migrator_node('hydra');
$node->safe_psql('postgres', join("\n", @sql));
my $before = $node->safe_psql('postgres',
	q{SELECT md5(string_agg(kind || object || definition, ',' ORDER BY kind, object)) FROM migrator.schema_fingerprint()});

$node->safe_psql('postgres', 'CREATE TABLE checked AS SELECT * FROM migrator.check()');
is($node->safe_psql('postgres', q{SELECT string_agg(outcome || '=' || n, ' ' ORDER BY outcome)
	FROM (SELECT outcome, count(*) AS n FROM checked GROUP BY 1) s}),
	'down does not restore=84 ok=137 skipped=7',
	'every migration is checked: 84 down scripts do not restore the schema, the 7 autocommit ones are skipped');
is($node->safe_psql('postgres', q{SELECT string_agg(version, ' ' ORDER BY version) FROM checked c
	WHERE outcome = 'down does not restore'
	  AND btrim(regexp_replace((SELECT down FROM migrator.migrations m WHERE m.version = c.version), '--[^\n]*', '', 'g'), E' \n\t') <> ''}),
	'20190100000005000000 20221109000010000000 20230606112801000001 20241012144910000001 20251119112639000000 20251119112639000002',
	'the down scripts with statements that do not restore the schema');
like($node->safe_psql('postgres', q{SELECT detail FROM checked WHERE version = '20221109000010000000'}),
	qr/changed constraint public\.hydra_oauth2_flow\.hydra_oauth2_flow_login_session_id_fk: .*ON DELETE CASCADE -> .*ON DELETE SET NULL/,
	'the difference is shown in readable form');

# Nothing of check() remains.
$node->safe_psql('postgres', 'SET migrator.guard = off; DROP TABLE checked');
is($node->safe_psql('postgres',
	q{SELECT md5(string_agg(kind || object || definition, ',' ORDER BY kind, object)) FROM migrator.schema_fingerprint()}),
	$before, 'the schema is as before check()');
is($node->safe_psql('postgres', q{SELECT count(*) FROM migrator.migrations WHERE state <> 'pending'}),
	'0', 'no migration is recorded as applied');

$node->stop;
done_testing();
