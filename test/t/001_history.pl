# A generated history of 320 migrations: apply all, roll all back to an empty
# schema, apply again; the catalog must match the history each time.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('history');
my $n = 320;

# Each migration creates a table, or adds a column or an index to an earlier
# one; every fifth is a backfill (staged).  Versions mix widths so that
# natural order matters ('2' < '10' < '100').
my @sql;
for my $i (1 .. $n)
{
	my ($up, $down);
	if ($i % 5 == 0)
	{
		my $t = $i - 4;
		$up = "ALTER TABLE app.t$t ADD COLUMN c$i int; UPDATE app.t$t SET c$i = id";
		$down = "ALTER TABLE app.t$t DROP COLUMN c$i";
	}
	elsif ($i % 5 == 3)
	{
		my $t = $i - 2;
		$up = "CREATE INDEX i$i ON app.t$t (id)";
		$down = "DROP INDEX app.i$i";
	}
	else
	{
		$up = "CREATE TABLE app.t$i (id int PRIMARY KEY, v text DEFAULT 'x')";
		$down = "DROP TABLE app.t$i";
	}
	$up =~ s/'/''/g;
	$down =~ s/'/''/g;
	push @sql, "SELECT 1 FROM migrator.register('$i', '$up', '$down', plan => 'generated', kind => 'destructive');";
}
$node->safe_psql('postgres', "CREATE SCHEMA app;\n" . join("\n", reverse @sql));

is($node->safe_psql('postgres', "SELECT count(*) FROM migrator.status() WHERE state = 'pending'"),
	$n, "$n migrations registered");

my $catalog = q{
	SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'app') || '/' ||
	       (SELECT count(*) FROM pg_indexes WHERE schemaname = 'app' AND indexname LIKE 'i%') || '/' ||
	       (SELECT count(*) FROM information_schema.columns WHERE table_schema = 'app' AND column_name LIKE 'c%')
};
my $expected = join('/', scalar(grep { $_ % 5 == 1 || $_ % 5 == 2 || $_ % 5 == 4 } 1 .. $n),
	scalar(grep { $_ % 5 == 3 } 1 .. $n), scalar(grep { $_ % 5 == 0 } 1 .. $n));

for my $round (1 .. 2)
{
	my $applied = $node->safe_psql('postgres', 'SELECT string_agg(version, \',\') FROM migrator.apply()');
	is($applied, join(',', 1 .. $n), "round $round: applied in natural order");
	is($node->safe_psql('postgres', $catalog), $expected, "round $round: catalog matches the history");
	is($node->safe_psql('postgres',
			"SELECT count(*) FROM migrator.status() WHERE state = 'applied'"), $n,
		"round $round: every migration is recorded as applied");
	is($node->safe_psql('postgres', 'SELECT bool_and(ok) FROM migrator.verify()'), 't',
		"round $round: verify passes");

	my $undone = $node->safe_psql('postgres', "SELECT string_agg(version, ',') FROM migrator.rollback($n)");
	is($undone, join(',', reverse 1 .. $n), "round $round: rolled back in reverse order");
	is($node->safe_psql('postgres', $catalog), '0/0/0', "round $round: schema is empty again");
	is($node->safe_psql('postgres',
			"SELECT count(*) FROM migrator.status() WHERE state = 'pending'"), $n,
		"round $round: every migration is pending again");
}

is($node->safe_psql('postgres',
		"SELECT count(*) FILTER (WHERE action = 'apply') || '/' || count(*) FILTER (WHERE action = 'rollback') FROM migrator.events WHERE outcome = 'success'"),
	(2 * $n) . '/' . (2 * $n), 'one event per apply and per rollback');

$node->stop;
done_testing();
