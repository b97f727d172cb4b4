# Faults in the middle of apply(): kill -9 of the backend, and an immediate
# shutdown of the server.  After restart the history matches the schema
# exactly, and applying again finishes the work.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('crash', conf => "restart_after_crash = on\n");

# Migration 2 inserts a lot and then sleeps, so the fault hits it mid-way.
$node->safe_psql('postgres', q{
	SELECT migrator.register('1', 'CREATE TABLE a (id int)', 'DROP TABLE a');
	SELECT migrator.register('2', 'CREATE TABLE b (id int); INSERT INTO b SELECT generate_series(1, 200000); SELECT pg_sleep(60)', 'DROP TABLE b');
	SELECT migrator.register('3', 'CREATE TABLE c (id int)', 'DROP TABLE c');
});

# History matches schema: every applied migration's table exists, and no
# pending migration's table does.
sub history_matches_schema
{
	my ($label) = @_;
	my $mismatch = $node->safe_psql('postgres', q{
		SELECT string_agg(version || ':' || state, ',' ORDER BY version)
		  FROM migrator.status() s
		 WHERE (state = 'applied') <> (to_regclass(CASE version WHEN '1' THEN 'a' WHEN '2' THEN 'b' ELSE 'c' END) IS NOT NULL)
	});
	is($mismatch, '', "$label: history matches the schema");
}

# After a backend's kill -9 the postmaster restarts every session.  A psql
# started while connections are refused may exit before reading its input,
# and IPC::Run then dies of the broken pipe (seen under load, on 18): such an
# attempt is retried like a refused one.
sub wait_for_restart
{
	for (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
	{
		return if eval { $node->poll_query_until('postgres', 'SELECT true') };
		usleep(100_000);
	}
	die 'server did not come back';
}

sub start_apply_and_wait
{
	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	$bg->query_until(qr/started/, q{
		\echo started
		SELECT count(*) FROM migrator.apply();
	});
	$node->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'
	}) or die 'apply never reached pg_sleep';
	return $bg;
}

# 1. kill -9 of the backend running apply(): the postmaster restarts.
my $bg = start_apply_and_wait();
my $pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'});
kill 'KILL', $pid;
eval { $bg->quit };
wait_for_restart();
is($node->safe_psql('postgres', q{SELECT count(*) FROM migrator.status() WHERE state = 'applied'}),
	'0', 'after kill -9: nothing is recorded as applied');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_tables WHERE tablename IN ('a', 'b', 'c')}),
	'0', 'after kill -9: no table of the interrupted call remains');
history_matches_schema('after kill -9');
like($node->safe_psql('postgres', q{SELECT string_agg(action, ',') FROM migrator.events WHERE action <> 'register'}),
	qr/^$/, 'after kill -9: no apply event without its change');

# 2. immediate shutdown in the middle of apply().
$bg = start_apply_and_wait();
$node->stop('immediate');
eval { $bg->quit };
$node->start;
is($node->safe_psql('postgres', q{SELECT count(*) FROM migrator.status() WHERE state = 'applied'}),
	'0', 'after immediate shutdown: nothing is recorded as applied');
history_matches_schema('after immediate shutdown');

# 3. applying again finishes the work (the sleep taken out of the pending
# migration, which may be replaced because it is pending).
$node->safe_psql('postgres', q{
	SELECT migrator.register('2', 'CREATE TABLE b (id int); INSERT INTO b SELECT generate_series(1, 200000)', 'DROP TABLE b');
});
is($node->safe_psql('postgres', q{SELECT string_agg(version, ',') FROM migrator.apply()}),
	'1,2,3', 'applying again applies every migration');
is($node->safe_psql('postgres', 'SELECT count(*) FROM b'), '200000', 'with all its rows');
history_matches_schema('after re-apply');
is($node->safe_psql('postgres', q{SELECT count(*) FROM migrator.events WHERE action = 'apply'}),
	'3', 'one apply event per migration');

# 4. kill -9 in the middle of CALL migrator.deploy(): migrations before the
# interrupted one are committed with their history, the interrupted one is
# not, and the next deploy finishes the work.
$node->safe_psql('postgres', q{
	SELECT migrator.register('4', 'CREATE TABLE d (id int)', 'DROP TABLE d');
	SELECT migrator.register('5', 'CREATE TABLE e (id int); SELECT pg_sleep(60)', 'DROP TABLE e');
	SELECT migrator.register('6', 'CREATE TABLE f (id int)', 'DROP TABLE f');
});
$bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_until(qr/started/, q{
	\echo started
	CALL migrator.deploy();
});
$node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'
}) or die 'deploy never reached pg_sleep';
$pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'});
kill 'KILL', $pid;
eval { $bg->quit };
wait_for_restart();
is($node->safe_psql('postgres', q{SELECT string_agg(version || '=' || state, ',' ORDER BY version) FROM migrator.status() WHERE version >= '4'}),
	'4=applied,5=pending,6=pending', 'after kill -9 in deploy: a clean prefix is applied');
is($node->safe_psql('postgres', q{SELECT to_regclass('d') IS NOT NULL, to_regclass('e') IS NULL, to_regclass('f') IS NULL}),
	't|t|t', 'after kill -9 in deploy: the schema matches the history');
$node->safe_psql('postgres', q{SELECT migrator.register('5', 'CREATE TABLE e (id int)', 'DROP TABLE e')});
$node->safe_psql('postgres', 'CALL migrator.deploy()');
is($node->safe_psql('postgres', q{SELECT string_agg(version || '=' || state, ',' ORDER BY version) FROM migrator.status() WHERE version >= '4'}),
	'4=applied,5=applied,6=applied', 'deploying again finishes the work');
is($node->safe_psql('postgres', q{SELECT count(*) FROM migrator.events WHERE action = 'apply' AND outcome = 'success'}),
	'6', 'one apply event per migration in all');

$node->stop;
done_testing();
