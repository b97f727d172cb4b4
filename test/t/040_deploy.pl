# CALL migrator.deploy(): one transaction per migration, lock-timeout
# retries behind a long transaction, non-transactional migrations run by a
# background worker (CREATE INDEX CONCURRENTLY), cleanup of INVALID indexes,
# and resuming after the deploying backend was terminated.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('deploy');

# A deploy role that owns nothing of migrator: it gets EXECUTE only.
$node->safe_psql('postgres', q{
	CREATE ROLE deployer LOGIN;
	GRANT pg_read_all_stats TO deployer;  -- state and age of blocking sessions
	GRANT CREATE ON SCHEMA public TO deployer;
	GRANT USAGE ON SCHEMA migrator TO deployer;
	GRANT EXECUTE ON FUNCTION migrator.register(text, text, text, text, text, text, text, boolean, text[]) TO deployer;
	GRANT EXECUTE ON PROCEDURE migrator.deploy(text, interval, integer, boolean) TO deployer;
	SET ROLE deployer;
	CREATE TABLE t (id int PRIMARY KEY, v int);
	INSERT INTO t SELECT g, g % 100 FROM generate_series(1, 1000) g;
	CREATE TABLE seen (app text, who text);
});

sub as_deployer
{
	my ($sql) = @_;
	return $node->psql('postgres', $sql, extra_params => [ '-U', 'deployer' ]);
}

sub state_of
{
	my ($version) = @_;
	return $node->safe_psql('postgres',
		"SELECT coalesce((SELECT state FROM migrator.migrations WHERE version = '$version'), 'absent')");
}

# --- CREATE INDEX CONCURRENTLY through deploy -------------------------------
as_deployer(q{
	SELECT version FROM migrator.register('1', 'ALTER TABLE t ADD COLUMN c int');
	SELECT version FROM migrator.register('2', $$
		CREATE INDEX CONCURRENTLY t_v ON t (v);
		INSERT INTO seen SELECT current_setting('application_name'), current_user;
		VACUUM t;
	$$, transactional => false);
});
my ($ret, $out, $err) = as_deployer('CALL migrator.deploy()');
is($ret, 0, 'deploy with a CREATE INDEX CONCURRENTLY migration succeeds');
like($err, qr/migration 2 \(additive, non-transactional\) applied in .* with 0 retries/,
	'a NOTICE reports the non-transactional migration');
is($node->safe_psql('postgres',
		"SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass"),
	't', 'the concurrently built index is valid');
is(state_of('1') . ',' . state_of('2'), 'applied,applied', 'both migrations are applied');
is($node->safe_psql('postgres', 'SELECT app || \',\' || who FROM seen'),
	'migrator deploy 2,deployer',
	'the worker runs as the calling role and shows the step in application_name');
is($node->safe_psql('postgres',
		"SELECT string_agg(version, ',' ORDER BY apply_seq) FROM migrator.migrations WHERE state = 'applied'"),
	'1,2', 'history rows in apply order');

# apply() refuses non-transactional migrations and names deploy.
as_deployer(q{SELECT version FROM migrator.register('3', 'CREATE INDEX CONCURRENTLY t_c ON t (c)', transactional => false)});
($ret, $out, $err) = $node->psql('postgres', 'SELECT * FROM migrator.apply()');
like($err, qr/Run it with CALL migrator\.deploy\(\)/, 'apply() points to deploy()');

# deploy() refuses to run in a transaction block.
($ret, $out, $err) = as_deployer('BEGIN; CALL migrator.deploy(); COMMIT;');
like($err, qr/migrator\.deploy\(\) cannot run inside a transaction block/,
	'deploy refuses a transaction block');
is(state_of('3'), 'pending', 'nothing was deployed from inside the transaction block');
($ret, $out, $err) = as_deployer('CALL migrator.deploy()');
is(state_of('3'), 'applied', 'deploy applies it outside a transaction block');

# --- a failing CREATE INDEX CONCURRENTLY ------------------------------------
as_deployer(q{SELECT version FROM migrator.register('4', 'CREATE UNIQUE INDEX CONCURRENTLY t_v_unique ON t (v)', transactional => false)});
($ret, $out, $err) = as_deployer('CALL migrator.deploy()');
isnt($ret, 0, 'a unique index over duplicate values fails');
like($err, qr/could not create unique index "t_v_unique"/, 'with the statement\'s error');
like($err, qr/Key \(v\)=\(\d+\) is duplicated/, 'and its detail');
like($err, qr/dropping invalid index public\.t_v_unique/, 'the invalid index is reported');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_class WHERE relname = 't_v_unique'"),
	'0', 'no invalid index is left behind');
is(state_of('4'), 'pending', 'no history row for the failed migration');
is($node->safe_psql('postgres',
		"SELECT outcome FROM migrator.events WHERE version = '4' AND action = 'apply'"),
	'failed', 'a failed event is recorded');

# An invalid index left by an interrupted run (here: made by hand) is
# dropped before the migration that creates it runs again.
$node->psql('postgres', 'CREATE UNIQUE INDEX CONCURRENTLY t_leftover ON t (v)');
is($node->safe_psql('postgres',
		"SELECT indisvalid FROM pg_index WHERE indexrelid = 't_leftover'::regclass"),
	'f', 'an invalid index exists');
$node->safe_psql('postgres', q{
	SELECT migrator.register('4', 'CREATE UNIQUE INDEX CONCURRENTLY t_leftover ON t (id)', transactional => false)});
($ret, $out, $err) = as_deployer('CALL migrator.deploy()');
is($ret, 0, 'the migration succeeds once the leftover is gone');
like($err, qr/dropping invalid index public\.t_leftover/, 'the leftover is reported');
is($node->safe_psql('postgres',
		"SELECT indisvalid FROM pg_index WHERE indexrelid = 't_leftover'::regclass"),
	't', 'the index is rebuilt valid');

# --- a long transaction blocks the migration: retries, then success ---------
my $holder = $node->background_psql('postgres', on_error_stop => 0);
$holder->query_safe(q{SET application_name = 'long_reader'; BEGIN; SELECT count(*) FROM t;});
my $holder_pid = bg_query_safe($holder, 'SELECT pg_backend_pid()');

as_deployer(q{SELECT version FROM migrator.register('5', 'ALTER TABLE t ADD COLUMN d int')});
my $deploy = $node->background_psql('postgres', on_error_stop => 0,
	extra_params => [ '-U', 'deployer' ]);
$deploy->query_until(qr/started/, q{
	\echo started
	CALL migrator.deploy(lock_timeout => '50ms', lock_retries => 1000);
	\echo deployed
});
$node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM pg_stat_activity
	 WHERE query ~ '^CALL migrator\.deploy\(\) -- migration 5 \(additive\), .*attempt ([3-9]|[0-9]{2,})$'
}) or die 'deploy never retried';
# While deploy waits between attempts, the application reads and writes t.
is($node->safe_psql('postgres',
		"SET lock_timeout = '5s'; UPDATE t SET v = v WHERE id = 1; SELECT 'ok'"),
	'ok', 'the application is not queued behind the migration');
$holder->query_safe('COMMIT');
$deploy->query_until(qr/deployed/, '');
$deploy->quit;
like($deploy->{stderr}, qr/migration 5: lock timeout on attempt 1 of 1001/,
	'deploy reports the lock timeout');
like($deploy->{stderr}, qr/Waited 50 ms for relation public\.t, held by pid $holder_pid \(application_name "long_reader", state "idle in transaction"/,
	'and names the blocking session');
like($deploy->{stderr}, qr/migration 5 \(additive\) applied in \S+ with \d+ retries/,
	'then applies the migration');
is(state_of('5'), 'applied', 'migration 5 is applied');

# --- retries run out ---------------------------------------------------------
$holder->query_safe('BEGIN; SELECT count(*) FROM t;');
as_deployer(q{
	SELECT version FROM migrator.register('6', 'CREATE TABLE u (x int)');
	SELECT version FROM migrator.register('7', 'ALTER TABLE t ADD COLUMN e int');
	SELECT version FROM migrator.register('8', 'CREATE TABLE w (x int)');
});
($ret, $out, $err) = as_deployer(
	"CALL migrator.deploy(lock_timeout => '20ms', lock_retries => 2)");
isnt($ret, 0, 'deploy fails when the retries run out');
like($err, qr/migration "7" could not take its locks after 3 attempts/, 'with a clear error');
like($err, qr/Each attempt waited 20 ms for relation public\.t/, 'naming the lock');
like($err, qr/held by pid $holder_pid \(application_name "long_reader", state "idle in transaction", transaction open for /,
	'naming the blocking session');
is(state_of('6') . ',' . state_of('7') . ',' . state_of('8'), 'applied,pending,pending',
	'the migration before it stays applied, the rest stay pending');
like($node->safe_psql('postgres',
		"SELECT outcome || ': ' || detail FROM migrator.events WHERE version = '7' AND action = 'apply'"),
	qr/^partial: lock timeout after 3 attempts: relation public\.t, held by pid $holder_pid/,
	'a partial event names the blocker');
$holder->query_safe('COMMIT');
$holder->quit;
($ret, $out, $err) = as_deployer('CALL migrator.deploy()');
is(state_of('7') . ',' . state_of('8'), 'applied,applied', 'a second deploy applies the rest');

# A row lock: the migration waits for the holder's transaction.
$holder = $node->background_psql('postgres', on_error_stop => 0);
$holder->query_safe(q{SET application_name = 'row_locker'; BEGIN; SELECT * FROM t WHERE id = 1 FOR UPDATE;});
$holder_pid = bg_query_safe($holder, 'SELECT pg_backend_pid()');
as_deployer(q{SELECT version FROM migrator.register('8.1', 'UPDATE t SET v = v + 1 WHERE id = 1')});
($ret, $out, $err) = as_deployer(
	"CALL migrator.deploy(lock_timeout => '20ms', lock_retries => 0)");
like($err, qr/migration "8\.1" could not take its locks after 1 attempt\n/, 'a row lock times out too');
like($err, qr/The attempt waited 20 ms for transaction \d+, held by pid $holder_pid \(application_name "row_locker"/,
	'the holder of the row lock is named');
like($node->safe_psql('postgres',
		"SELECT outcome || ': ' || detail FROM migrator.events WHERE version = '8.1' AND action = 'apply'"),
	qr/^partial: lock timeout after 1 attempt: transaction \d+, held by pid $holder_pid/,
	'the partial event says 1 attempt');
$holder->query_safe('COMMIT');
$holder->quit;
($ret, $out, $err) = as_deployer('CALL migrator.deploy()');
is(state_of('8.1'), 'applied', 'applied once the row is free');

# --- the deploying backend is terminated mid-way -----------------------------
$node->safe_psql('postgres', 'CREATE TABLE gate (open boolean); GRANT SELECT ON gate TO deployer');
as_deployer(q{
	SELECT version FROM migrator.register('9', 'CREATE TABLE nine (x int)');
	SELECT version FROM migrator.register('10', $$
		CREATE TABLE ten (x int);
		DO $do$ BEGIN
			WHILE NOT EXISTS (SELECT FROM gate) LOOP PERFORM pg_sleep(0.05); END LOOP;
		END $do$;
	$$);
	SELECT version FROM migrator.register('11', 'CREATE TABLE eleven (x int)');
});
$deploy = $node->background_psql('postgres', on_error_stop => 0,
	extra_params => [ '-U', 'deployer' ]);
$deploy->query_until(qr/started/, q{
	\echo started
	CALL migrator.deploy();
});
$node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE query LIKE 'CALL migrator.deploy() -- migration 10 %'
}) or die 'deploy never reached migration 10';
$node->safe_psql('postgres', q{
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	 WHERE query LIKE 'CALL migrator.deploy() -- migration 10 %'});
# psql exits when its connection is lost.
eval { $deploy->quit };
is(state_of('9') . ',' . state_of('10') . ',' . state_of('11'), 'applied,pending,pending',
	'after termination the first migration stays applied, the rest pending');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_class WHERE relname = 'ten'"),
	'0', 'the interrupted migration left nothing behind');
$node->safe_psql('postgres', 'INSERT INTO gate VALUES (true)');
($ret, $out, $err) = as_deployer('CALL migrator.deploy()');
is($ret, 0, 'deploy resumes');
like($err, qr/deployed 2 migrations/, 'with the remaining migrations');
is(state_of('10') . ',' . state_of('11'), 'applied,applied', 'all applied');

# Events written inside the worker that runs a non-transactional migration
# (a refusal of the guard, an allowance) carry the deploying session's
# application_name, not the worker's own.
$node->safe_psql('postgres', q{
	CREATE TABLE old_keep (id int);
	SELECT migrator.register('12',
		$up$SELECT migrator.allow('DROP TABLE old_allowed', reason => 'retired');
		    DROP TABLE IF EXISTS old_allowed;
		    DO $do$ BEGIN EXECUTE 'DROP TABLE old_keep'; END $do$$up$,
		'CREATE TABLE old_keep (id int)', kind => 'destructive', plan => 'drop what is unused',
		transactional => false);
});
my $mark = $node->safe_psql('postgres', 'SELECT max(id) FROM migrator.events');
($ret, $out, $err) = $node->psql('postgres', 'CALL migrator.deploy()',
	connstr => $node->connstr('postgres') . ' application_name=release-42');
like($err, qr/unplanned destructive statement DROP TABLE on "old_keep"/,
	'a DROP hidden in EXECUTE is refused inside the worker');
is($node->safe_psql('postgres', qq{
	SELECT string_agg(action || ':' || outcome || ':' || application_name, ',' ORDER BY id)
	  FROM migrator.events WHERE id > $mark}),
	'allow:success:release-42,block:blocked:release-42,apply:failed:release-42',
	'the worker records the deploying session as their origin');

# --- the NOTICEs' counts in their singular and plural forms -----------------
# "call" runs while a session reads t and ends its transaction when the
# call waits before its second attempt at migration "version": exactly one
# retry.  Each attempt waits 2 s and the pause between them is at least 1 s,
# so the holder ends in time on a busy machine too.
sub with_one_retry
{
	my ($call, $version) = @_;
	my $reader = $node->background_psql('postgres', on_error_stop => 0);
	$reader->query_safe('BEGIN; SELECT count(*) FROM t;');
	my $session = $node->background_psql('postgres', on_error_stop => 0);
	$session->query_until(qr/started/, qq{
		\\echo started
		$call;
		\\echo done
	});
	$node->poll_query_until('postgres', qq{
		SELECT count(*) > 0 FROM pg_stat_activity
		 WHERE query ~ '-- migration $version \\(.*attempt 2\$'
	}) or die "migration $version never reached its second attempt";
	$reader->query_safe('COMMIT');
	$reader->quit;
	$session->query_until(qr/done/, '');
	$session->quit;
	return $session->{stderr};
}
# Migration 12 above stays pending (its worker was refused): it goes first.
$node->safe_psql('postgres', q{SELECT migrator.unregister('12', reason => 'refused on purpose above')});
$node->safe_psql('postgres',
	"SELECT migrator.register('13', 'ALTER TABLE t ADD COLUMN g int', 'ALTER TABLE t DROP COLUMN g')");
my $notices = with_one_retry("CALL migrator.deploy(lock_timeout => '2s', lock_retries => 1)", '13');
like($notices, qr/migration 13 \(additive\) applied in \S+ with 1 retry\n/, 'deploy: 1 retry');
like($notices, qr/deployed 1 migration\n/, 'deploy: 1 migration');
$notices = with_one_retry("CALL migrator.undeploy(lock_timeout => '2s', lock_retries => 1)", '13');
like($notices, qr/migration 13 \(additive\) rolled back in \S+ with 1 retry\n/, 'undeploy: 1 retry');
like($notices, qr/rolled back 1 migration\n/, 'undeploy: 1 migration');
$node->safe_psql('postgres',
	"SELECT migrator.register('14', 'CREATE TABLE fourteen (x int)', 'DROP TABLE fourteen')");
($ret, $out, $err) = $node->psql('postgres', 'CALL migrator.deploy()');
like($err, qr/deployed 2 migrations$/, 'deploy: 2 migrations');
($ret, $out, $err) = $node->psql('postgres', 'CALL migrator.undeploy(steps => 2)');
like($err, qr/migration 14 \(additive\) rolled back in \S+ with 0 retries$/m, 'undeploy: 0 retries');
like($err, qr/rolled back 2 migrations$/, 'undeploy: 2 migrations');
($ret, $out, $err) = $node->psql('postgres', 'CALL migrator.deploy()');
is(state_of('13') . ',' . state_of('14'), 'applied,applied', 'deployed again');

$node->stop;
done_testing();
