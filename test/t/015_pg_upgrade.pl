# pg_upgrade of a cluster with the extension: migrator stays out of the
# binary upgrade, and history, checksums and events arrive intact.
use strict;
use warnings;
use Cwd qw(getcwd);
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $old = migrator_node('old');
$old->safe_psql('postgres', q{
	CREATE SCHEMA app;
	SELECT migrator.register('1', 'CREATE TABLE app.a (id int PRIMARY KEY)', 'DROP TABLE app.a',
	                         verify => 'SELECT to_regclass(''app.a'') IS NOT NULL');
	SELECT migrator.register('2', 'ALTER TABLE app.a ADD COLUMN v text', 'ALTER TABLE app.a DROP COLUMN v');
	SELECT migrator.register('3', 'ALTER TABLE app.a DROP COLUMN v', 'ALTER TABLE app.a ADD COLUMN v text',
	                         plan => 'contract step of 2');
	SELECT count(*) FROM migrator.apply('2');
});
my $history = q{
	SELECT string_agg(version || '|' || state || '|' || checksum || '|' || kind, ',' ORDER BY version)
	  FROM migrator.migrations
};
my $events = q{SELECT string_agg(id || action || coalesce(version, ''), ',' ORDER BY id) FROM migrator.events};
my $before_history = $old->safe_psql('postgres', $history);
my $before_events = $old->safe_psql('postgres', $events);
$old->stop;

my $new = migrator_node('new', no_extension => 1);
$new->stop;

# The binaries of this installation (PATH starts with it), old and new alike.
my ($bindir) = grep { -x "$_/postgres" } split(/:/, $ENV{PATH});
my $olddata = File::Spec->rel2abs($old->data_dir);
my $newdata = File::Spec->rel2abs($new->data_dir);
my $cwd = getcwd();
my $workdir = PostgreSQL::Test::Utils::tempdir;
chdir $workdir;    # pg_upgrade writes its logs in the working directory
command_ok(
	[
		'pg_upgrade', '--no-sync',
		'-d', $olddata, '-D', $newdata,
		'-b', $bindir, '-B', $bindir,
		'-s', $new->host, '-p', $old->port, '-P', $new->port
	],
	'pg_upgrade of a cluster with migrator');
chdir $cwd;

$new->start;
is($new->safe_psql('postgres', $history), $before_history, 'history and checksums survive pg_upgrade');
is($new->safe_psql('postgres', $events), $before_events, 'events survive pg_upgrade');
is($new->safe_psql('postgres', q{SELECT string_agg(version || '=' || ok, ',') FROM migrator.verify()}),
	'1=true,2=true', 'verify() passes after pg_upgrade');
is($new->safe_psql('postgres', q{SELECT string_agg(version, ',') FROM migrator.apply()}),
	'3', 'the upgraded cluster applies what is pending');
is($new->safe_psql('postgres', q{SELECT count(*) FROM migrator.events WHERE outcome = 'blocked'}),
	'0', 'nothing was blocked during the binary upgrade');
is($new->safe_psql('postgres', q{SELECT count(*) FROM pg_shseclabel s JOIN pg_database d ON d.oid = s.objoid
		WHERE s.classoid = 'pg_database'::regclass AND s.provider = 'migrator' AND d.datname = 'postgres'}),
	'1', 'the database is still protected after pg_upgrade');
my ($ret, $out, $err) = $new->psql('template1', 'ALTER DATABASE postgres RENAME TO other');
like($err, qr/unplanned destructive statement ALTER DATABASE on "postgres"/,
	'and its rename from another database is refused');

$new->stop;
done_testing();
