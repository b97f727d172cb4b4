# migrator push --import: a history applied before migrator comes in as it
# is, in one push.  The Hydra history (when $MIGRATOR_CORPORA has it) and
# the fixtures of all ten layouts, unedited, each into a fresh database;
# every marked migration listed at once and recorded in events;
# irreversible migrations visible in status, refused by rollback, reported
# by check; and a server whose migrator predates import().
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use JSON::PP;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('cli_import', no_extension => 1);
my $fixtures = 'test/fixtures';
my $tmp = PostgreSQL::Test::Utils::tempdir;

sub cli
{
	my ($db, @args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'migrator', '-d', $node->connstr($db), @args ], '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub sql { $node->safe_psql(@_) }

sub write_file
{
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "cannot write $path: $!";
	print $fh $text;
	close($fh);
}

sub new_db
{
	my ($db) = @_;
	sql('postgres', "CREATE DATABASE $db");
	sql($db, 'CREATE EXTENSION migrator; CREATE SCHEMA app');
}

my ($rc, $out, $err);

# ---- a small golang-migrate history applied before migrator
my $old = "$tmp/old";
mkdir $old;
write_file("$old/1_users.up.sql", "CREATE TABLE app.users (id int PRIMARY KEY, junk text, legacy text);\n");
write_file("$old/1_users.down.sql", "DROP TABLE app.users;\n");
write_file("$old/2_drop_junk.up.sql", "ALTER TABLE app.users DROP COLUMN junk;\n");
write_file("$old/2_drop_junk.down.sql", "");
write_file("$old/3_purge.up.sql", "DELETE FROM app.users WHERE id < 0;\n");
write_file("$old/3_purge.down.sql", "-- Down migrations are not available.\n");
write_file("$old/4_mysql_only.up.sql", "-- nothing for PostgreSQL\n");
write_file("$old/4_mysql_only.down.sql", "");
write_file("$old/5_drop_legacy.up.sql", "-- migrator:plan nothing reads legacy since 2023\nALTER TABLE app.users DROP COLUMN legacy;\n");
write_file("$old/5_drop_legacy.down.sql", "ALTER TABLE app.users ADD COLUMN legacy text;\n");
write_file("$old/6_email.up.sql", "ALTER TABLE app.users ADD COLUMN email text;\n");

new_db('small');
# without --import: every refusal at once, nothing registered
($rc, $out, $err) = cli('small', 'push', $old);
is($rc, 3, 'push without --import refuses the unplanned destructive migrations');
my @refused = $err =~ /^migrator: cannot register "[^"]*\/(\S+)"/mg;
is_deeply(\@refused, [ '2_drop_junk.up.sql', '3_purge.up.sql' ], 'both refusals in one run');
like($err, qr/^HINT:  .*push it as it is with --import\.$/m, 'the hint names --import');
is(sql('small', 'SELECT count(*) FROM migrator.migrations'), 0, 'nothing registered');

($rc, $out, $err) = cli('small', 'push', '--import', $old);
is($rc, 0, 'push --import takes the history as it is') or diag $err;
is(scalar(() = $err =~ /^marked /mg), 4, 'a line for each migration it marked');
like($err, qr/^marked 2 \([^)]*2_drop_junk\.up\.sql\): plan: imported history; irreversible \(imported\)$/m,
	'a destructive migration without plan or down: both marks');
like($err, qr/^marked 3 \([^)]*\): plan: imported history; irreversible \(imported\)$/m,
	'a comment-only down script is no down script');
like($err, qr/^marked 6 \([^)]*\): irreversible \(imported\)$/m, 'an additive migration without down: irreversible');
unlike($err, qr/^marked (1|4|5) /m, 'a real down, a no-op migration, and a planned one are not marked');
like($err, qr/^imported 6 golang-migrate migrations from \S+: 6 new, 0 replaced, 0 unchanged \(\d+ ms\)\nmarked 2 destructive migrations without a plan as imported history, and 3 migrations without a down script as irreversible \(imported\)$/m,
	'the summary counts them');
like($out, qr/^2 +\|.*\| plan: imported history; irreversible \(imported\)$/m, 'the table has a "marked" column');
is(sql('small', q{SELECT string_agg(version || ':' || imported || ':' || coalesce(irreversible, '-'), ',' ORDER BY version) FROM migrator.migrations}),
	'1:true:-,2:true:irreversible (imported),3:true:irreversible (imported),4:true:-,5:true:-,6:true:irreversible (imported)',
	'recorded in migrations');
is(sql('small', q{SELECT plan FROM migrator.migrations WHERE version = '5'}), 'nothing reads legacy since 2023',
	"a migration's own plan is kept");
like(sql('small', q{SELECT plan FROM migrator.migrations WHERE version = '2'}), qr/^imported history: applied before migrator/,
	'the recorded plan says it is imported history');
is(sql('small', q{SELECT count(*) FROM migrator.events WHERE action = 'register' AND detail LIKE '%; imported%'}), 6,
	'each import is recorded in events');
like(sql('small', q{SELECT detail FROM migrator.events WHERE version = '2' AND action = 'register'}),
	qr/destructive without a plan: plan recorded as imported history; no down script with statements: irreversible \(imported\)/,
	'with what it marked');

# the same directory again, with or without --import: nothing changes
($rc, $out, $err) = cli('small', 'push', '--import', $old);
is($rc, 0, 'push --import again');
like($err, qr/: 0 new, 0 replaced, 6 unchanged/, 'changes nothing');
($rc, $out, $err) = cli('small', 'push', $old);
is($rc, 0, 'a plain push of the imported directory is accepted') or diag $err;
like($err, qr/: 0 new, 0 replaced, 6 unchanged/, 'and changes nothing either');

# status shows the irreversible ones
($rc, $out) = cli('small', 'status', '--json');
my %warnings = map { $_->{version} => $_->{warnings} } @{ decode_json($out) };
is(join(',', map { $warnings{$_} } 1 .. 6), '0,1,1,0,0,1', 'status: a warning for each irreversible migration');
my ($finding) = grep { $_->{rule} eq 'irreversible' } map { @{ $_->{findings} } } @{ decode_json($out) };
like($finding->{message}, qr/^irreversible \(imported\): its down script has no statements, so rollback\(\) refuses it$/,
	'status: the finding says why');

# check() reports them as irreversible rather than failing
($rc, $out, $err) = cli('small', 'check', '--json');
is($rc, 0, 'check') or diag $err;
my %outcome = map { $_->{version} => $_->{outcome} } @{ decode_json($out) };
is($outcome{2}, 'irreversible (imported)', 'check: irreversible (imported)');
is($outcome{1}, 'ok', 'check: a migration with a real down script is checked') or diag $out;

# check exits with 5 for a down script that does not restore the schema,
# not for an irreversible one
new_db('rotten');
my $rot = "$tmp/rot";
mkdir $rot;
write_file("$rot/1_t.up.sql", "CREATE TABLE app.t (id int);\n");
write_file("$rot/1_t.down.sql", "-- forgot the DROP\nSELECT 1;\n");
($rc) = cli('rotten', 'push', $rot);
is($rc, 0, 'push a migration whose down script restores nothing');
($rc, $out, $err) = cli('rotten', 'check');
is($rc, 5, 'check: a down script that does not restore the schema is exit 5');
like($out, qr/^1 +\| down does not restore/m, 'check prints the outcome');

# rollback refuses them, the client's way
($rc, $out, $err) = cli('small', 'apply');
is($rc, 0, 'apply the imported history') or diag $err;
($rc, $out, $err) = cli('small', 'rollback');
is($rc, 3, 'rollback of an irreversible migration: exit 3');
like($err, qr/ERROR:  migration "6" is irreversible \(imported\)\nDETAIL:  It was imported as history applied before migrator, and its down script has no statements/,
	'with the error and its detail');
like($err, qr/^HINT:  Add a down script to the migration's files and push them again/m, 'and a hint for a client user');
like($err, qr/^SQLSTATE:  MG006$/m, 'SQLSTATE MG006');
write_file("$old/6_email.down.sql", "ALTER TABLE app.users DROP COLUMN email;\n");
($rc, $out, $err) = cli('small', 'push', $old);
is($rc, 0, 'push the down script that was missing') or diag $err;
($rc, $out, $err) = cli('small', 'rollback');
is($rc, 0, 'now migration 6 rolls back') or diag $err;
($rc, $out, $err) = cli('small', 'rollback', '--steps', '3');
is($rc, 3, 'rollback reaching migration 3 is refused');
is(sql('small', q{SELECT count(*) FROM migrator.migrations WHERE state = 'applied'}), 5, 'and nothing was rolled back');

# ---- the fixtures of all ten layouts, unedited, one push each
for my $layout (qw(golang-migrate dbmate goose flyway sqitch liquibase prisma drizzle atlas supabase))
{
	(my $db = "fx_$layout") =~ s/-/_/g;
	new_db($db);
	($rc, $out, $err) = cli($db, 'push', '--import', "$fixtures/$layout");
	is($rc, 0, "$layout fixture: one push --import") or diag $err;
	like($err, qr/^imported \d+ $layout migrations from /m, "$layout fixture: imported");
	ok(sql($db, 'SELECT count(*) FROM migrator.migrations') > 0, "$layout fixture: registered");
}

# ---- Hydra, unedited, into a fresh database, in one push
SKIP:
{
	my $hydra = ($ENV{MIGRATOR_CORPORA} // '') . '/hydra/migrations';
	skip 'the Hydra corpus is not there (MIGRATOR_CORPORA)', 1 unless $ENV{MIGRATOR_CORPORA} && -d $hydra;
	sql('postgres', 'CREATE DATABASE hydra');
	sql('hydra', 'CREATE EXTENSION migrator');
	($rc, $out, $err) = cli('hydra', 'push', $hydra);
	is($rc, 3, 'Hydra without --import: refused');
	like($err, qr/^migrator: \d+ of 228 golang-migrate migrations in \S+ were refused; nothing was registered$/m,
		'every refusal reported in the one run');
	($rc, $out, $err) = cli('hydra', 'push', '--import', $hydra);
	is($rc, 0, 'Hydra: one push --import') or diag $err;
	like($err, qr/^imported 228 golang-migrate migrations from \S+: 228 new/m, 'Hydra: all 228 migrations');
	my ($plans, $irrev) = $err =~ /^marked (\d+) destructive migrations without a plan as imported history, and (\d+) migrations without a down script as irreversible \(imported\)$/m;
	is(scalar(() = $err =~ /^marked \d{20} /mg), sql('hydra', 'SELECT count(*) FROM migrator.migrations WHERE irreversible IS NOT NULL OR plan LIKE $$imported history:%$$'),
		'Hydra: every marked migration is listed');
	ok($plans > 0 && $irrev > 0, "Hydra: $plans plans recorded, $irrev irreversible");
	($rc, $out, $err) = cli('hydra', 'deploy', '-q');
	is($rc, 0, 'Hydra: deploy the imported history') or diag $err;
	is(sql('hydra', q{SELECT count(*) FROM migrator.migrations WHERE state = 'applied'}), 228, 'Hydra: all applied');
}

# ---- a server whose migrator predates import(): exit 4, nothing registered
sql('postgres', 'CREATE DATABASE older');
sql('older', q{CREATE EXTENSION migrator VERSION '0.2'; CREATE SCHEMA app});
($rc, $out, $err) = cli('older', 'push', '--import', $old);
is($rc, 4, 'push --import on a 0.2 extension: exit 4');
like($err, qr/this server's migrator has no import\(\)/, 'and says so');
is(sql('older', 'SELECT count(*) FROM migrator.migrations'), 0, 'nothing registered');
($rc, $out, $err) = cli('older', 'push', "$fixtures/golang-migrate");
is($rc, 0, 'a plain push still works on 0.2 objects') or diag $err;
($rc, $out, $err) = cli('older', 'apply', '3');
is($rc, 0, 'apply on 0.2 objects') or diag $err;
($rc, $out, $err) = cli('older', 'rollback');
is($rc, 0, 'rollback on 0.2 objects (no irreversible column to read)') or diag $err;

$node->stop;
done_testing();
