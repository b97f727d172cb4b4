# pg_upgrade from the next older major version to this one (15 -> 16,
# 16 -> 18 in `make test`; test/run.sh passes the older private
# installation in MIGRATOR_UPGRADE_FROM).  A cluster with history, a
# recorded fingerprint, guard refusals and an extension still at the
# released 0.2 arrives with all of it intact: migrations and checksums,
# events, drift() finding no change although the catalogs and deparsers of
# the new server differ, the guard refusing what it refused before, and
# ALTER EXTENSION UPDATE afterwards.
use strict;
use warnings;
use Cwd qw(getcwd);
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $from = $ENV{MIGRATOR_UPGRADE_FROM};
plan skip_all => 'no older major version in this run (the oldest is tested by 015_pg_upgrade.pl)'
  unless $from;

# Checksums on in both clusters: 18's initdb enables them by default, older
# ones do not, and pg_upgrade needs them equal.
my $old = migrator_node('old', install_path => $from,
	init => { extra => ['--data-checksums'] }, no_extension => 1);
my $old_major = $ENV{MIGRATOR_UPGRADE_FROM_MAJOR};
like($old->safe_psql('postgres', 'SHOW server_version'), qr/^$old_major\./,
	"the old cluster runs PostgreSQL $old_major");

# A schema with one object of every kind the fingerprint reads, built
# through migrations, so that drift() afterwards compares what the old
# server recorded with what the new one reads.
$old->safe_psql('postgres', q{
	CREATE EXTENSION migrator;
	CREATE ROLE app_reader;
	SELECT migrator.register('1', $up$
		CREATE SCHEMA app;
		CREATE TYPE app.mood AS ENUM ('ok', 'sad');
		CREATE DOMAIN app.posint AS int NOT NULL CHECK (VALUE > 0);
		CREATE SEQUENCE app.seq START 10 INCREMENT 5;
		CREATE TABLE app.a (
			id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			n app.posint,
			name text NOT NULL DEFAULT 'x' COLLATE "C",
			mood app.mood,
			twice int GENERATED ALWAYS AS (n * 2) STORED,
			CONSTRAINT name_len CHECK (length(name) < 100),
			UNIQUE (name, n));
		CREATE TABLE app.b (id int REFERENCES app.a ON DELETE CASCADE, v text)
			PARTITION BY RANGE (id);
		CREATE TABLE app.b1 PARTITION OF app.b FOR VALUES FROM (0) TO (1000);
		CREATE INDEX ON app.a (lower(name)) WHERE n > 1;
		CREATE VIEW app.v AS SELECT a.id, count(b.v) AS c FROM app.a LEFT JOIN app.b USING (id)
			GROUP BY a.id HAVING count(*) > 0 ORDER BY 1;
		CREATE MATERIALIZED VIEW app.m AS SELECT id FROM app.a WITH NO DATA;
		CREATE FUNCTION app.f(x int) RETURNS int LANGUAGE sql IMMUTABLE RETURN x + 1;
		CREATE FUNCTION app.t() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
		CREATE TRIGGER t BEFORE INSERT ON app.a FOR EACH ROW WHEN (NEW.n > 0) EXECUTE FUNCTION app.t();
		ALTER TABLE app.a ENABLE ROW LEVEL SECURITY;
		CREATE POLICY p ON app.a FOR SELECT TO app_reader USING (n > 0);
		CREATE RULE r AS ON DELETE TO app.v DO INSTEAD NOTHING;
		GRANT SELECT ON app.a TO app_reader;
		GRANT SELECT (v) ON app.b TO app_reader;
		$up$, 'DROP SCHEMA app CASCADE',
		plan => 'first schema', verify => $$SELECT to_regclass('app.a') IS NOT NULL$$);
	SELECT migrator.register('2', 'ALTER TABLE app.a ADD COLUMN note text',
		'ALTER TABLE app.a DROP COLUMN note');
	SELECT migrator.register('3', 'ALTER TABLE app.a DROP COLUMN note',
		'ALTER TABLE app.a ADD COLUMN note text', plan => 'contract step of 2');
	SELECT count(*) FROM migrator.apply('2');
	INSERT INTO app.a (n, name) VALUES (2, 'two');
});

# A refusal by the guard, recorded as an event.
my ($ret, $out, $err) = $old->psql('postgres', 'DROP TABLE app.a CASCADE');
like($err, qr/unplanned destructive statement DROP TABLE/, 'the old server\'s guard refuses a drop');

# A second database whose extension is still at the released 0.2.
$old->safe_psql('postgres', 'CREATE DATABASE legacy');
$old->safe_psql('legacy', q{
	CREATE EXTENSION migrator VERSION '0.2';
	SELECT migrator.register('1', 'CREATE TABLE t (id int NOT NULL, v text)', 'DROP TABLE t');
	SELECT count(*) FROM migrator.apply();
});

my $history = q{
	SELECT string_agg(concat_ws('|', version, state, checksum, kind, applied_at), ',' ORDER BY version)
	  FROM migrator.migrations
};
my $events = q{
	SELECT string_agg(concat_ws('|', id, action, version, outcome, rule, statement), ',' ORDER BY id)
	  FROM migrator.events
};
my $baseline = q{SELECT id, reason, fingerprint FROM migrator.schema_state ORDER BY id};
my %before;
for my $db ('postgres', 'legacy')
{
	$before{$db}{history} = $old->safe_psql($db, $history);
	$before{$db}{events} = $old->safe_psql($db, $events);
	$before{$db}{baseline} = $old->safe_psql($db, $baseline);
	is($old->safe_psql($db, 'SELECT count(*) FROM migrator.drift()'), '0',
		"$db: no drift before the upgrade");
}
like($before{postgres}{events}, qr/\|block\|blocked\|drop_table\|DROP TABLE app\.a CASCADE/, 'the refusal is an event');

my $new = migrator_node('new', init => { extra => ['--data-checksums'] }, no_extension => 1);

# Debian's 15.20 package stamps every column with an attribute option
# "pg_attver" (RESET does not remove it) that upstream servers do not know:
# pg_upgrade of any database with a table fails in pg_restore with
# 'unrecognized parameter "pg_attver"', migrator or not.  A DBA leaving that
# package must remove the option from the catalog first; so does this test,
# and says so (docs/versions.md).
my ($rc) = $new->psql('postgres',
	'BEGIN; CREATE TEMP TABLE attver (a int); ALTER TABLE attver ALTER a SET (pg_attver = 1); ROLLBACK');
my $stamped = 0;
if ($rc != 0)
{
	for my $db (split /\n/, $old->safe_psql('postgres',
			'SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1'))
	{
		$stamped += $old->safe_psql($db, q{
			WITH cleared AS (
				UPDATE pg_attribute
				   SET attoptions = nullif(ARRAY(SELECT o FROM unnest(attoptions) AS o
				                                  WHERE o NOT LIKE 'pg_attver=%'), '{}')
				 WHERE attrelid >= 16384 AND attoptions::text LIKE '%pg_attver=%'
				RETURNING 1)
			SELECT count(*) FROM cleared});
	}
}
note("attribute option pg_attver removed from $stamped columns of the old cluster") if $stamped;
$new->stop;
$old->stop;

# The binaries of this installation (PATH starts with it).
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
		'-b', "$from/bin", '-B', $bindir,
		'-s', $new->host, '-p', $old->port, '-P', $new->port
	],
	"pg_upgrade from $old_major");
chdir $cwd;

$new->start;
my $new_major = $ENV{MIGRATOR_PG_MAJOR} // '';
like($new->safe_psql('postgres', 'SHOW server_version'), qr/^$new_major\./,
	"the new cluster runs PostgreSQL $new_major");
for my $db ('postgres', 'legacy')
{
	is($new->safe_psql($db, $history), $before{$db}{history}, "$db: history and checksums intact");
	is($new->safe_psql($db, $events), $before{$db}{events}, "$db: events intact");
	is($new->safe_psql($db, $baseline), $before{$db}{baseline}, "$db: the recorded fingerprint intact");
}
# drift() compares the fingerprint the old server recorded with what the new
# one reads: the same text on every major version, although the catalogs
# differ (18 keeps NOT NULL as pg_constraint rows, for one).
my $drift = q{SELECT string_agg(concat_ws(' ', change, kind, object, recorded, current), E'\n') FROM migrator.drift()};
is($new->safe_psql('postgres', $drift), '', 'drift() sees no change made by the upgrade');

is($new->safe_psql('postgres', q{SELECT string_agg(version || '=' || ok, ',') FROM migrator.verify()}),
	'1=true,2=true', 'verify() passes');

# The guard still refuses, and records the refusal.
($ret, $out, $err) = $new->psql('postgres', 'DROP TABLE app.a CASCADE');
like($err, qr/unplanned destructive statement DROP TABLE/, 'the new server\'s guard refuses the drop');
is($new->safe_psql('postgres',
		q{SELECT count(*) FROM migrator.events WHERE outcome = 'blocked' AND rule = 'drop_table'}),
	'2', 'the new refusal is recorded beside the old one');
is($new->safe_psql('postgres', 'SELECT count(*) FROM app.a'), '1', 'the table and its row are kept');
is($new->safe_psql('postgres', q{SELECT string_agg(version, ',') FROM migrator.apply()}),
	'3', 'the upgraded cluster applies what is pending');
is($new->safe_psql('postgres', 'SELECT count(*) FROM migrator.drift()'), '0',
	'and records a fingerprint of its own');

# The 0.2 database updates on the new server, history kept; then its
# drift() compares 0.2's record made by the old server with the current
# fingerprint on the new one (0.2's own fingerprint SQL predates 18 and is
# not expected to read 18's catalogs the same: docs/versions.md).
$new->safe_psql('legacy', 'ALTER EXTENSION migrator UPDATE');
is($new->safe_psql('legacy', $history), $before{legacy}{history}, 'legacy: history kept by the update');
is($new->safe_psql('legacy', $drift), '', 'legacy: no drift after the update');
is($new->safe_psql('legacy', q{SELECT extversion FROM pg_extension WHERE extname = 'migrator'}),
	$new->safe_psql('legacy', q{SELECT default_version FROM pg_available_extensions WHERE name = 'migrator'}),
	'legacy: updated to the current version');

$new->stop;
done_testing();
