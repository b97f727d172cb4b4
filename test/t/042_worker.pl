# The background worker behind deploy()'s non-transactional migrations:
# it marks the migration it runs as running (so migrator's functions, and
# the guard, see it), a cancelled caller takes the worker down with it, and
# a server without free worker slots gives a clear error.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('worker');
$node->safe_psql('postgres', 'CREATE TABLE t (id int)');

# Inside the worker, the migration counts as running.
$node->safe_psql('postgres', q{
	SELECT migrator.register('1', 'VACUUM t; SELECT * FROM migrator.apply()', transactional => false)});
my ($ret, $out, $err) = $node->psql('postgres', 'CALL migrator.deploy()');
isnt($ret, 0, 'a migration may not call migrator from the worker');
like($err, qr/migrator\.apply\(\) cannot be called from inside a migration/,
	'the worker marks the migration as running');
like($err, qr/Migration "1" is running its up script/, 'with its version and direction');
like($err, qr/migration 1, up statement 2 \(run outside a transaction block by a background worker\)/,
	'the error names the statement');
$node->safe_psql('postgres', q{
	SELECT migrator.register('1', 'VACUUM t; SELECT pg_sleep(600)', transactional => false)});

# Cancelling the deploy terminates the worker.
my $deploy = $node->background_psql('postgres', on_error_stop => 0);
$deploy->query_until(qr/started/, "\\echo started\nCALL migrator.deploy();\n\\echo finished\n");
$node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE application_name = 'migrator deploy 1' AND query = 'SELECT pg_sleep(600)'})
  or die 'the worker never ran the statement';
$node->safe_psql('postgres', q{
	SELECT pg_cancel_backend(pid) FROM pg_stat_activity
	 WHERE query LIKE 'CALL migrator.deploy() -- migration 1 %'});
$deploy->query_until(qr/finished/, '');
$deploy->quit;
like($deploy->{stderr}, qr/canceling statement due to user request/, 'the deploy is cancelled');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'migrator deploy 1'}),
	'and its worker is gone');
is($node->safe_psql('postgres', "SELECT state FROM migrator.migrations WHERE version = '1'"),
	'pending', 'the migration stays pending');

# A role that cannot log in cannot connect a worker.
$node->safe_psql('postgres', q{
	CREATE ROLE nologin_deployer NOLOGIN;
	GRANT USAGE ON SCHEMA migrator TO nologin_deployer;
	GRANT EXECUTE ON PROCEDURE migrator.deploy(text, interval, integer, boolean) TO nologin_deployer;
	SELECT migrator.register('1', 'VACUUM t', transactional => false)});
($ret, $out, $err) = $node->psql('postgres', 'SET ROLE nologin_deployer; CALL migrator.deploy()');
like($err, qr/role "nologin_deployer" is not permitted to log in/, 'a NOLOGIN role is refused');

# No free background worker slot.
$node->append_conf('postgresql.conf', "max_worker_processes = 0\n");
$node->restart;
($ret, $out, $err) = $node->psql('postgres', 'CALL migrator.deploy()');
like($err, qr/could not start a background worker to run statements outside a transaction block/,
	'no worker slot: a clear error');
like($err, qr/HINT:  Raise max_worker_processes/, 'with a hint');
is($node->safe_psql('postgres', "SELECT state FROM migrator.migrations WHERE version = '1'"),
	'pending', 'nothing was applied');

$node->stop;
done_testing();
