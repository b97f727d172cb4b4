# Two sessions race apply(): the second waits for the first, then finds the
# migrations applied and applies none of them twice.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('race');
$node->safe_psql('postgres', q{
	SELECT migrator.register('1', 'CREATE TABLE slow (id int); SELECT pg_sleep(2)', 'DROP TABLE slow');
	SELECT migrator.register('2', 'CREATE TABLE counter (n int); INSERT INTO counter VALUES (1)', 'DROP TABLE counter');
});

my $first = $node->background_psql('postgres', on_error_stop => 0);
my $second = $node->background_psql('postgres', on_error_stop => 0);

$first->query_until(qr/started/, q{
	\echo started
	SELECT string_agg(version, ',') FROM migrator.apply();
});
# Wait until the first session holds migrator's lock.
$node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_locks
	 WHERE locktype = 'advisory' AND classid = 1835624306 AND objid = 1635020658 AND granted
}) or die 'first session never took the lock';

my ($out, $err) = ('', '');
my $second_result = bg_query($second, 'SELECT coalesce(string_agg(version, \',\'), \'none\') FROM migrator.apply()');
like($second->{stderr}, qr/waiting for another migrator session to finish/,
	'the second session is told it waits');
is($second_result, 'none', 'the second session applies nothing');

$first->quit;
$second->quit;

is($node->safe_psql('postgres', 'SELECT count(*) FROM counter'), '1', 'migration 2 ran exactly once');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM migrator.events WHERE action = 'apply' AND outcome = 'success'"),
	'2', 'one success event per migration');

# lock_timeout bounds the wait.
$first = $node->background_psql('postgres', on_error_stop => 0);
$node->safe_psql('postgres', q{SELECT migrator.register('3', 'SELECT pg_sleep(3)', '')});
$first->query_until(qr/started/, q{
	\echo started
	SELECT count(*) FROM migrator.apply();
});
$node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_locks
	 WHERE locktype = 'advisory' AND classid = 1835624306 AND objid = 1635020658 AND granted
}) or die 'first session never took the lock';
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET lock_timeout = '200ms'; SELECT count(*) FROM migrator.apply()");
isnt($ret, 0, 'a waiter gives up after lock_timeout');
like($stderr, qr/lock timeout/, 'with the lock timeout error');
$first->quit;

$node->stop;
done_testing();
