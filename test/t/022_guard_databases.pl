# A database with migrator, protected from every database of the server
# (src/protect.c), in what pg_regress cannot show: dropdb (a client that
# connects to postgres), a restart, pg_dumpall and pg_dump restores, and a
# server where the library is not preloaded (the protection cannot act
# there: CREATE EXTENSION says so).  pg_upgrade: test/t/015_pg_upgrade.pl.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $label = q{SELECT coalesce(string_agg(d.datname || '=' || s.label, ',' ORDER BY d.datname), '-')
	FROM pg_shseclabel s JOIN pg_database d ON d.oid = s.objoid
	WHERE s.classoid = 'pg_database'::regclass AND s.provider = 'migrator'};

my $node = migrator_node('databases', no_extension => 1);
$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql('app', 'CREATE EXTENSION migrator; CREATE TABLE keep (id int); INSERT INTO keep VALUES (1)');
is($node->safe_psql('postgres', $label), 'app=protected', 'CREATE EXTENSION protects the database');

# dropdb connects to postgres (where migrator is not installed) and sends
# DROP DATABASE from there.
my ($ret, $out, $err);
($out, $err) = run_command([ 'dropdb', '-h', $node->host, '-p', $node->port, 'app' ]);
like($err, qr/unplanned destructive statement DROP DATABASE on "app"/, 'dropdb is refused');
($out, $err) = run_command([ 'dropdb', '--force', '-h', $node->host, '-p', $node->port, 'app' ]);
like($err, qr/unplanned destructive statement DROP DATABASE on "app"/, 'dropdb --force is refused');
($out, $err) = run_command([ 'dropdb', '--maintenance-db=template1', '-h', $node->host, '-p', $node->port, 'app' ]);
like($err, qr/unplanned destructive statement DROP DATABASE on "app"/, 'dropdb from template1 is refused');
is($node->safe_psql('app', 'SELECT count(*) FROM keep'), '1', 'the database and its rows are there');
is($node->safe_psql('app', q{SELECT count(*) FROM migrator.events WHERE action = 'block' AND rule = 'drop_database'}),
	'3', 'each refusal is recorded in the protected database');

# The marker is in a catalog: it survives a restart.
$node->restart;
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE app');
like($err, qr/unplanned destructive statement DROP DATABASE on "app"/, 'still protected after a restart');

# pg_dumpall restores the marker (SECURITY LABEL ON DATABASE, with
# --create semantics), a plain pg_dump restore gets it from CREATE
# EXTENSION.
my $dumpall = $node->basedir . '/all.sql';
$node->command_ok([ 'pg_dumpall', '-h', $node->host, '-p', $node->port, '-f', $dumpall ], 'pg_dumpall');
like(slurp_file($dumpall), qr/SECURITY LABEL FOR migrator ON DATABASE app IS 'protected';/,
	'pg_dumpall writes the marker');
my $copy = migrator_node('databases_restored', no_extension => 1);
$copy->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=0', '-h', $copy->host, '-p', $copy->port,
	'-d', 'postgres', '-f', $dumpall ], 'restore of pg_dumpall');
is($copy->safe_psql('postgres', $label), 'app=protected', 'the restored cluster protects the database');
($ret, $out, $err) = $copy->psql('postgres', 'DROP DATABASE app');
like($err, qr/unplanned destructive statement DROP DATABASE on "app"/, 'and refuses to drop it');
is($copy->safe_psql('app', 'SELECT count(*) FROM keep'), '1', 'with its rows');

my $dump = $node->basedir . '/app.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('app'), '-f', $dump ], 'pg_dump of the database');
$copy->safe_psql('postgres', 'CREATE DATABASE app2');
$copy->command_ok([ 'pg_restore', '-d', $copy->connstr('app2'), $dump ], 'pg_restore into another database');
is($copy->safe_psql('postgres', $label), 'app=protected,app2=protected',
	'the restored database is protected by its CREATE EXTENSION');
$copy->stop;

# The documented way out: a superuser removes the marker in the database.
$node->safe_psql('app', 'SECURITY LABEL FOR migrator ON DATABASE app IS NULL');
$node->command_ok([ 'dropdb', '-h', $node->host, '-p', $node->port, 'app' ],
	'dropdb runs once the protection is removed');
$node->stop;

# Without shared_preload_libraries a session of another database has not
# loaded the library: nothing of migrator runs there.  CREATE EXTENSION
# says so loudly; the drop is not refused (docs/guard.md, limits).
my $lazy = PostgreSQL::Test::Cluster->new('databases_lazy');
$lazy->init;
$lazy->append_conf('postgresql.conf', "lc_messages = 'C'\n");
$lazy->start;
$lazy->safe_psql('postgres', 'CREATE DATABASE app');
($ret, $out, $err) = $lazy->psql('app', 'CREATE EXTENSION migrator');
like($err, qr/WARNING:  migrator is not in shared_preload_libraries/,
	'CREATE EXTENSION warns when the library is not preloaded');
is($lazy->safe_psql('postgres', $label), 'app=protected', 'the marker is set all the same');
($ret, $out, $err) = $lazy->psql('postgres', 'DROP DATABASE app');
is($ret, 0, 'without the library in the sending backend, DROP DATABASE is not refused (said loudly above)');
$lazy->stop;

done_testing();
