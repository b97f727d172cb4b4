# The guard across sessions and server settings: what pg_regress cannot
# show.  A refusal leaves a server-log line that survives the rollback;
# PGOPTIONS cannot switch the guard off for an ordinary role; databases
# without the extension are untouched; and a session that has not loaded
# the library (no shared_preload_libraries) is still stopped by the sql_drop
# event trigger, even after it set a placeholder for migrator.guard.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('guard');
$node->safe_psql('postgres', q{
	CREATE ROLE dev LOGIN;
	CREATE SCHEMA app AUTHORIZATION dev;
	SET ROLE dev;
	CREATE TABLE app.keep (id int);
	INSERT INTO app.keep VALUES (1);
});

# A refusal is logged with a stable prefix, and the log line outlives the
# rolled-back transaction.
my $offset = -s $node->logfile;
my ($ret, $out, $err) = $node->psql('postgres', 'BEGIN; DROP TABLE app.keep; COMMIT;',
	extra_params => ['-U', 'dev']);
like($err, qr/unplanned destructive statement DROP TABLE on "app.keep"/, 'the drop is refused');
my $log = slurp_file($node->logfile, $offset);
like($log,
	qr/migrator guard: blocked rule=drop_table tag="DROP TABLE" object="app.keep" role="dev" session_role="dev" database="postgres" statement: DROP TABLE app.keep/,
	'the refusal is in the server log with rule, object, role, database and statement');
is($node->safe_psql('postgres', 'SELECT count(*) FROM app.keep'), '1', 'the table and its row are kept');
is($node->safe_psql('postgres',
		"SELECT string_agg(concat_ws(' ', outcome, rule, role, database, statement), ';') FROM migrator.events WHERE action = 'block'"),
	'blocked drop_table dev postgres DROP TABLE app.keep',
	'and in migrator.events, written by a worker outside the rolled-back transaction');

# An allowance for one of migrator's own objects, first thing in a session.
($ret, $out, $err) = $node->psql('postgres', q{
	BEGIN;
	SELECT migrator.allow('ALTER TABLE migrator.events ENABLE ALWAYS TRIGGER protect_history',
		reason => 'reassert the trigger');
	ALTER TABLE migrator.events ENABLE ALWAYS TRIGGER protect_history;
	COMMIT;
});
is($ret, 0, 'allow() covers ALTER TABLE on migrator\'s own table in a fresh session')
  or diag($err);

# warn mode is logged too.
$offset = -s $node->logfile;
$node->safe_psql('postgres', q{
	BEGIN; SET LOCAL migrator.guard = warn; TRUNCATE app.keep; ROLLBACK;
});
like(slurp_file($node->logfile, $offset), qr/migrator guard: warned rule=truncate/,
	'warn mode logs what it let through');

# PGOPTIONS: an ordinary role cannot start a session with the guard off; a
# superuser can (so the option itself does reach the server).
{
	local $ENV{PGOPTIONS} = '-c migrator.guard=off';
	($ret, $out, $err) = $node->psql('postgres', 'SHOW migrator.guard',
		extra_params => ['-U', 'dev']);
	isnt($ret, 0, 'PGOPTIONS migrator.guard=off: an ordinary role cannot connect');
	like($err, qr/permission denied to set parameter "migrator.guard"/, 'with permission denied');
	is($node->safe_psql('postgres', 'SHOW migrator.guard'), 'off',
		'a superuser can set it through PGOPTIONS');
}

# ALTER DATABASE SET by the database's (non-superuser) owner.
$node->safe_psql('postgres', 'CREATE DATABASE devdb OWNER dev');
($ret, $out, $err) = $node->psql('devdb', 'ALTER DATABASE devdb SET migrator.guard = off',
	extra_params => ['-U', 'dev']);
like($err, qr/permission denied to set parameter "migrator.guard"/,
	'the owner of a database cannot switch the guard off for it');

# Inert in a database without the extension.
$node->safe_psql('devdb', 'CREATE TABLE t (id int); DROP TABLE t; CREATE TABLE u (id int); TRUNCATE u');
pass('a database without the extension is not guarded');

$node->stop;

# Without shared_preload_libraries the hook is installed only once a
# migrator function loads the library; the sql_drop event trigger is that
# function for a DROP, so the first DROP of a fresh session is still judged.
my $lazy = PostgreSQL::Test::Cluster->new('lazy');
$lazy->init;
$lazy->append_conf('postgresql.conf', "lc_messages = 'C'\n");
$lazy->start;
$lazy->safe_psql('postgres', q{
	CREATE EXTENSION migrator;
	CREATE ROLE dev LOGIN;
	CREATE SCHEMA app AUTHORIZATION dev;
	SET ROLE dev;
	CREATE TABLE app.keep (id int);
	CREATE TABLE app.fresh_target (id int);
});
($ret, $out, $err) = $lazy->psql('postgres', 'DROP TABLE app.keep', extra_params => ['-U', 'dev']);
like($err, qr/unplanned destructive statement DROP TABLE on "app.keep"/,
	'library not preloaded: the event trigger refuses the first DROP of a session');
($ret, $out, $err) = $lazy->psql('postgres',
	'SET migrator.guard = off; DROP TABLE app.keep', extra_params => ['-U', 'dev']);
like($err, qr/unplanned destructive statement DROP TABLE on "app.keep"/,
	'a placeholder set before the library loads does not switch the guard off');
($ret, $out, $err) = $lazy->psql('postgres',
	'BEGIN; CREATE TABLE app.new (id int); DROP TABLE app.new; COMMIT',
	extra_params => ['-U', 'dev']);
is($ret, 0, 'library not preloaded: a table created in the transaction may be dropped');
is($lazy->safe_psql('postgres', "SELECT count(*) FROM pg_tables WHERE tablename = 'keep'"),
	'1', 'the guarded table is still there');
is($lazy->safe_psql('postgres', "SELECT count(*) FROM migrator.events WHERE action = 'block' AND rule = 'drop_table'"),
	'2', 'both refusals by the event trigger are in migrator.events');
$lazy->stop;

done_testing();
