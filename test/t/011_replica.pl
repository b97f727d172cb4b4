# On a streaming standby: status() and verify() work, state-changing calls
# refuse with a read-only error, and history replicates.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $primary = migrator_node('primary', init => { allows_streaming => 1 });
$primary->safe_psql('postgres', q{
	SELECT migrator.register('1', 'CREATE TABLE a (id int); INSERT INTO a VALUES (1)', 'DROP TABLE a',
	                         verify => 'SELECT count(*) = 1 FROM a');
	SELECT migrator.register('2', 'CREATE TABLE b (id int)', 'DROP TABLE b');
	SELECT count(*) FROM migrator.apply('1');
});
$primary->backup('b1');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b1', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', q{SELECT string_agg(version || '=' || state, ',') FROM migrator.status()}),
	'1=applied,2=pending', 'status() works on the standby');
is($standby->safe_psql('postgres', q{SELECT string_agg(version || '=' || ok, ',') FROM migrator.verify()}),
	'1=true', 'verify() works on the standby');

is($standby->safe_psql('postgres', q{SELECT string_agg(DISTINCT version, ',') FROM migrator.plan()}),
	'2', 'plan() works on the standby');

for my $call ("SELECT * FROM migrator.apply()",
	"CALL migrator.deploy()",
	"SELECT migrator.register('3', 'SELECT 1')",
	"SELECT * FROM migrator.rollback()",
	"SELECT * FROM migrator.rollback_to('1')")
{
	my ($ret, $out, $err) = $standby->psql('postgres', $call);
	isnt($ret, 0, "refused on the standby: $call");
	like($err, qr/cannot execute (migrator\.\w+\(\)|[A-Z ]+) (in a read-only transaction|during recovery)/,
		'with a clear read-only error');
}

$primary->safe_psql('postgres', 'SELECT count(*) FROM migrator.apply()');
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', q{SELECT string_agg(version || '=' || state, ',') FROM migrator.status()}),
	'1=applied,2=applied', 'history replicates');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM migrator.events WHERE action = 'apply'}),
	'2', 'events replicate');

$standby->stop;
$primary->stop;
done_testing();
