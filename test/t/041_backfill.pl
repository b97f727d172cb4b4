# CALL migrator.backfill(): key-ordered batches with a commit after each,
# resumed after the backend running it was terminated, every row updated
# exactly once; and backfill as the step of a migration run by deploy().
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('backfill');
$node->safe_psql('postgres', q{
	CREATE TABLE b (id int PRIMARY KEY, touched int NOT NULL DEFAULT 0, copy int);
	INSERT INTO b (id) SELECT g FROM generate_series(1, 3000) g;
	-- Counts every update of every row, whoever makes it.
	CREATE TABLE updates (id int);
	CREATE FUNCTION count_update() RETURNS trigger LANGUAGE plpgsql AS
		$$BEGIN INSERT INTO updates VALUES (NEW.id); RETURN NEW; END$$;
	CREATE TRIGGER count_update AFTER UPDATE ON b FOR EACH ROW EXECUTE FUNCTION count_update();
});

# A slow backfill (1 ms per row, batches of 100), terminated mid-way.
my $call = q{CALL migrator.backfill('b', set => 'touched = touched + 1',
	filter => 'pg_sleep(0.001) IS NOT NULL', batch_size => 100)};
my $session = $node->background_psql('postgres', on_error_stop => 0);
$session->query_until(qr/started/, "\\echo started\n$call;\n");
$node->poll_query_until('postgres',
	"SELECT rows_done >= 300 FROM migrator.backfills WHERE relation = 'public.b'")
  or die 'backfill made no progress';
my ($ret, $out, $err) = $node->psql('postgres', $call);
like($err, qr/another session is running a backfill of public\.b/,
	'a second session cannot run the same backfill at the same time');
$node->safe_psql('postgres', q{
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	 WHERE query LIKE 'CALL migrator.backfill() -- public.b:%'});
eval { $session->quit };

my $done = $node->safe_psql('postgres',
	"SELECT state || ',' || rows_done FROM migrator.backfills WHERE relation = 'public.b'");
like($done, qr/^running,(\d+)$/, 'the interrupted backfill is recorded as running');
my ($rows_before) = $done =~ /,(\d+)$/;
cmp_ok($rows_before, '<', 3000, 'it was interrupted before the end');
is($node->safe_psql('postgres', 'SELECT count(*) FROM b WHERE touched = 1'),
	$rows_before, 'the recorded progress matches the committed rows');

($ret, $out, $err) = $node->psql('postgres', $call);
is($ret, 0, 'the second call succeeds');
like($err, qr/resuming backfill of public\.b after key \d+ \($rows_before rows done\)/,
	'it resumes after the recorded key');
like($err, qr/backfill of public\.b done: 3000 rows\nDETAIL:  The backfill committed 30 batches\./, 'and reports the total');
is($node->safe_psql('postgres', 'SELECT min(touched) || \',\' || max(touched) FROM b'),
	'1,1', 'every row is updated exactly once');
is($node->safe_psql('postgres',
		'SELECT count(*) || \',\' || count(DISTINCT id) FROM updates'),
	'3000,3000', 'no row saw a second update');

($ret, $out, $err) = $node->psql('postgres', $call);
like($err, qr/backfill of public\.b is already done/, 'a finished backfill is not repeated');
is($node->safe_psql('postgres', 'SELECT max(touched) FROM b'), '1', 'no row changed');

($ret, $out, $err) = $node->psql('postgres', 'BEGIN; ' . $call . '; COMMIT');
like($err, qr/cannot run inside a transaction block/, 'backfill refuses a transaction block');

($ret, $out, $err) = $node->psql('postgres',
	"UPDATE migrator.backfills SET rows_done = 0");
like($err, qr/cannot modify "backfills"/, 'progress rows are protected');

($ret, $out, $err) = $node->psql('postgres',
	"CREATE TABLE nokey (x int); CALL migrator.backfill('nokey', set => 'x = 1')");
like($err, qr/table "nokey" has no column to walk in order/, 'a key is required');

# Without a primary key, the only NOT NULL column alone in a unique index
# is the key; with two such columns the caller must choose.
$node->safe_psql('postgres', q{
	CREATE TABLE uk (a int NOT NULL, b int, v int);
	CREATE UNIQUE INDEX ON uk (a);
	CREATE UNIQUE INDEX ON uk (b);   -- b may be NULL: not a key
	INSERT INTO uk SELECT g, g FROM generate_series(1, 25) g;
	CREATE TABLE twokeys (a int NOT NULL UNIQUE, b int NOT NULL UNIQUE, v int);
});
($ret, $out, $err) = $node->psql('postgres',
	"CALL migrator.backfill('uk', set => 'v = 1', batch_size => 10)");
like($err, qr/backfill of public\.uk done: 25 rows\nDETAIL:  The backfill committed 3 batches\./,
	'a NOT NULL column alone in a unique index is the key when there is no primary key');
is($node->safe_psql('postgres', "SELECT key_column FROM migrator.backfills WHERE relation = 'public.uk'"),
	'a', 'and is recorded');
($ret, $out, $err) = $node->psql('postgres', "CALL migrator.backfill('twokeys', set => 'v = 1')");
like($err, qr/table "twokeys" has no single-column primary key and several possible backfill keys/,
	'with two candidate keys the caller must name one');
like($err, qr/DETAIL:  NOT NULL columns alone in a unique index: a, b\./, 'the candidates are named');

# An interrupted backfill resumes only in the order it walked: the last key
# it recorded is a value of that column.  Batches of 10 in the order of b
# (the reverse of a); the 6th batch fails.
$node->safe_psql('postgres', q{
	CREATE TABLE rev (a int PRIMARY KEY, b int NOT NULL UNIQUE, v int);
	INSERT INTO rev SELECT g, 1001 - g FROM generate_series(1, 1000) g;
});
my $rev = q{CALL migrator.backfill('rev', set => 'v = CASE WHEN b > 50 THEN 1 / (a - a) ELSE 1 END',
	batch_size => 10, key => %s)};
($ret, $out, $err) = $node->psql('postgres', sprintf($rev, "'b'"));
like($err, qr/division by zero/, 'a backfill that fails in its 6th batch');
is($node->safe_psql('postgres', "SELECT state || ',' || rows_done || ',' || last_key FROM migrator.backfills WHERE relation = 'public.rev'"),
	'running,50,50', 'keeps the 5 batches it committed, in the order of b');
($ret, $out, $err) = $node->psql('postgres', sprintf($rev, 'NULL'));
like($err, qr/ERROR:  cannot resume the backfill of public\.rev in the order of column a/,
	'resuming it in the order of another column is refused');
like($err, qr/HINT:  Pass key => 'b' to resume it, or restart => true to start again\./,
	'the hint names the column to resume with');
is($node->safe_psql('postgres', 'SELECT count(*) FROM rev WHERE v IS NOT NULL'), '50',
	'no row was updated by the refused call');

# A key recorded by one session is read back by another with other date
# and number formats: keys are recorded in fixed formats.  The first call
# fails in its third batch (bf.fail), the second resumes with another
# DateStyle, under which the text "01/10/2024" would mean 1 October.
$node->safe_psql('postgres', q{
	CREATE TABLE ts (k timestamp PRIMARY KEY, w int NOT NULL DEFAULT 0);
	INSERT INTO ts (k) SELECT timestamp '2024-01-01' + g * interval '1 day' FROM generate_series(0, 19) g;
});
my $ts = q{CALL migrator.backfill('ts', batch_size => 5,
	set => $$w = w + 1 + CASE WHEN k > '2024-01-10' AND current_setting('bf.fail', true) = 'on' THEN 1 / (w - w) ELSE 0 END$$)};
($ret, $out, $err) = $node->psql('postgres', "SET DateStyle = 'SQL, MDY'; SET bf.fail = 'on'; $ts");
like($err, qr/division by zero/, 'a backfill with a timestamp key fails in its third batch');
is($node->safe_psql('postgres', "SELECT last_key || ',' || rows_done FROM migrator.backfills WHERE relation = 'public.ts'"),
	'2024-01-10 00:00:00,10', 'its last key is recorded in ISO format, whatever the DateStyle');
($ret, $out, $err) = $node->psql('postgres', "SET DateStyle = 'SQL, DMY'; $ts");
like($err, qr/backfill of public\.ts done: 20 rows/, 'resumed under another DateStyle');
is($node->safe_psql('postgres', 'SELECT count(*) FILTER (WHERE w = 1) || \',\' || count(*) FROM ts'),
	'20,20', 'every row updated exactly once');

# Keys of a type without max() (uuid), and a text key.
$node->safe_psql('postgres', q{
	CREATE TABLE u (id uuid PRIMARY KEY, w int NOT NULL DEFAULT 0);
	INSERT INTO u (id) SELECT md5(g::text)::uuid FROM generate_series(1, 30) g;
	CREATE TABLE t (id text COLLATE "C" PRIMARY KEY, w int NOT NULL DEFAULT 0);
	INSERT INTO t (id) SELECT 'k' || g FROM generate_series(1, 30) g;
});
for my $table ('u', 't')
{
	($ret, $out, $err) = $node->psql('postgres',
		"CALL migrator.backfill('$table', set => 'w = w + 1', batch_size => 7)");
	like($err, qr/backfill of public\.$table done: 30 rows\nDETAIL:  The backfill committed 5 batches\./, "a $table key");
	is($node->safe_psql('postgres', "SELECT min(w) || ',' || max(w) FROM $table"), '1,1',
		"every row of $table updated once");
}

# A regclass argument can be any number.
($ret, $out, $err) = $node->psql('postgres', "CALL migrator.backfill(999999, set => 'w = 1')");
like($err, qr/ERROR:  relation with OID 999999 does not exist/, 'an unknown relation OID is refused');
($ret, $out, $err) = $node->psql('postgres', "CALL migrator.backfill(0, set => 'w = 1')");
like($err, qr/ERROR:  relation with OID 0 does not exist/, 'OID 0 is refused');
($ret, $out, $err) = $node->psql('postgres',
	"CREATE VIEW tv AS SELECT * FROM t; CALL migrator.backfill('tv', set => 'w = 1')");
like($err, qr/ERROR:  "tv" is not a table/, 'a view is refused');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');

# As the backfill step of a migration deployed by deploy().
$node->safe_psql('postgres', q{
	SELECT migrator.register('1', 'ALTER TABLE b ADD COLUMN staged int');
	SELECT migrator.register('2',
		$$CALL migrator.backfill('b', set => 'staged = id * 2', batch_size => 500)$$,
		transactional => false);
});
($ret, $out, $err) = $node->psql('postgres', 'CALL migrator.deploy()');
is($ret, 0, 'deploy runs a migration whose step is a backfill');
is($node->safe_psql('postgres', 'SELECT count(*) FROM b WHERE staged = id * 2'),
	'3000', 'the backfill step filled the new column');
is($node->safe_psql('postgres',
		"SELECT batches FROM migrator.backfills WHERE set_clause = 'staged = id * 2'"),
	'6', 'in batches');

# A key of several columns: the primary key by default, or named; the
# batch walks the rows in the order of the key compared as a row, and an
# interrupted backfill resumes after the last key, recorded as a text[]
# of the values in fixed formats.
$node->safe_psql('postgres', q{
	CREATE TABLE lines (tenant int, day date, qty int NOT NULL DEFAULT 0, PRIMARY KEY (tenant, day));
	INSERT INTO lines (tenant, day) SELECT t, date '2024-01-01' + g FROM generate_series(1, 3) t, generate_series(1, 40) g;
	CREATE TABLE lines_fail (fail boolean);
	INSERT INTO lines_fail VALUES (true);
});
($ret, $out, $err) = $node->psql('postgres', q{SET datestyle = 'SQL, DMY';
	CALL migrator.backfill('lines', set => 'qty = CASE WHEN (SELECT fail FROM lines_fail) AND tenant = 3 AND day > date ''2024-01-30'' THEN 1 / (qty - qty) ELSE qty + 1 END',
		batch_size => 7)});
like($err, qr/division by zero/, 'a backfill over a composite primary key fails in a later batch');
is($node->safe_psql('postgres', q{SELECT key_column || ' ' || last_key || ' ' || rows_done FROM migrator.backfills WHERE relation = 'public.lines'}),
	'tenant, day {"3","2024-01-26"} 105', 'it walked the primary key, and recorded the last key in ISO format');
($ret, $out, $err) = $node->psql('postgres', q{SET datestyle = 'German'; UPDATE lines_fail SET fail = false;
	CALL migrator.backfill('lines', set => 'qty = CASE WHEN (SELECT fail FROM lines_fail) AND tenant = 3 AND day > date ''2024-01-30'' THEN 1 / (qty - qty) ELSE qty + 1 END',
		batch_size => 7)});
like($err, qr/resuming backfill of public\.lines after key \{"3","2024-01-26"\} \(105 rows done\)/,
	'it resumes after that key in another DateStyle');
is($node->safe_psql('postgres', q{SELECT count(*) FILTER (WHERE qty = 1) || ',' || count(*) FILTER (WHERE qty > 1) FROM lines}),
	'120,0', 'every row was updated once');
($ret, $out, $err) = $node->psql('postgres',
	q{CALL migrator.backfill('lines', set => 'qty = qty', key => 'day, tenant')});
like($err, qr/backfill of public\.lines done: 120 rows/, 'a named key of the columns of a unique index, in any order');
($ret, $out, $err) = $node->psql('postgres',
	q{CALL migrator.backfill('lines', set => 'qty = qty', key => 'qty, day')});
like($err, qr/columns qty, day of table "lines" cannot be a backfill key/, 'columns that are not a unique key are refused');

$node->stop;
done_testing();
