# pg_dump / pg_restore (also --clean) keeps history and checksums intact.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('dump');
$node->safe_psql('postgres', q{
	CREATE SCHEMA app;
	SELECT migrator.register('1', 'CREATE TABLE app.a (id int PRIMARY KEY)', 'DROP TABLE app.a');
	SELECT migrator.register('2', 'ALTER TABLE app.a ADD COLUMN v text; UPDATE app.a SET v = id::text', 'ALTER TABLE app.a DROP COLUMN v');
	SELECT migrator.register('3', 'CREATE TABLE app.c (id int)', 'DROP TABLE app.c');
	SELECT count(*) FROM migrator.apply('2');
	SELECT count(*) FROM migrator.verify();
});

my $history = q{
	SELECT string_agg(version || '|' || state || '|' || checksum || '|' || kind || '|' || coalesce(apply_seq::text, '-'), ',' ORDER BY version)
	  FROM migrator.migrations
};
my $events = q{SELECT string_agg(id || action || coalesce(version, ''), ',' ORDER BY id) FROM migrator.events};
my $before_history = $node->safe_psql('postgres', $history);
my $before_events = $node->safe_psql('postgres', $events);

my $dump = $node->basedir . '/db.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('postgres'), '-f', $dump ], 'pg_dump');

$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored'), $dump ], 'pg_restore into a fresh database');
is($node->safe_psql('restored', $history), $before_history, 'history and checksums survive');
is($node->safe_psql('restored', $events), $before_events, 'events survive');
is($node->safe_psql('restored', 'SELECT count(*) FROM migrator.drift()'), '0',
	'drift() sees no change after the restore');
is($node->safe_psql('restored', q{SELECT string_agg(version || '=' || ok, ',') FROM migrator.verify()}),
	'1=true,2=true', 'verify() passes on the restored database');
is($node->safe_psql('restored', q{SELECT string_agg(version, ',') FROM migrator.apply()}),
	'3', 'the restored database applies what is still pending');
ok($node->safe_psql('restored', q{SELECT max(id) FROM migrator.events}) >
	$node->safe_psql('postgres', q{SELECT max(id) FROM migrator.events}),
	'the event id sequence continues after the restored rows');

# --clean over a database restored from the same dump and used since
# (a registration), as when a restore is repeated.
$node->safe_psql('postgres', 'CREATE DATABASE restored2');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored2'), $dump ], 'pg_restore into restored2');
$node->safe_psql('restored2', q{SELECT migrator.register('4', 'SELECT 1')});
# --clean drops the extension first: the guard refuses that, so a restore
# over an existing database runs with the guard off (a superuser setting).
$node->command_fails([ 'pg_restore', '--clean', '--if-exists', '--exit-on-error', '-d', $node->connstr('restored2'), $dump ],
	'pg_restore --clean with the guard on is refused (it drops the extension)');
{
	local $ENV{PGOPTIONS} = '-c migrator.guard=off';
	$node->command_ok([ 'pg_restore', '--clean', '--if-exists', '-d', $node->connstr('restored2'), $dump ],
		'pg_restore --clean over an existing database, with migrator.guard = off');
}
is($node->safe_psql('restored2', $history), $before_history, 'history after --clean matches the dump');
is($node->safe_psql('restored2', $events), $before_events, 'events after --clean match the dump');

$node->stop;
done_testing();
