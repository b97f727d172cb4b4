# A parallel pg_restore sends "BEGIN; TRUNCATE TABLE ONLY t; COPY t ...;
# COMMIT" for every table it created.  The TRUNCATE of a never-written table
# is exempt; the judgement is made under the ACCESS EXCLUSIVE lock TRUNCATE
# takes anyway, and waits for it as TRUNCATE does.  Until 0.3 it was exempt
# only when that lock was free at once (ConditionalLockRelationOid): when
# any other session held any lock on t at that moment (a monitoring query,
# pg_dump, another restore worker), the guard refused the TRUNCATE, the
# COPY ran in an aborted transaction, pg_restore went on and the table's
# rows were lost (012_dump_restore flaked on it).  Both cases are made
# deterministic by holding the conflicting lock from a second session.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('restore_lock');

# 1. The smallest reproduction: what one restore worker sends, while
# another session holds ACCESS SHARE on the (committed, empty) table.
$node->safe_psql('postgres', 'CREATE TABLE restored (id int)');
my $holder = $node->background_psql('postgres', on_error_stop => 0);
$holder->query_safe('BEGIN; LOCK TABLE restored IN ACCESS SHARE MODE');
my $worker = $node->background_psql('postgres', on_error_stop => 0);
$worker->query_until(qr/started/, q{
	SET application_name = 'restore_worker';
	\echo started
	BEGIN;
	TRUNCATE TABLE ONLY restored;
});
# The worker either waits for the lock (as TRUNCATE does) or was refused.
$node->poll_query_until('postgres', q{
	SELECT wait_event_type = 'Lock' OR state = 'idle in transaction (aborted)'
	  FROM pg_stat_activity WHERE application_name = 'restore_worker'
}) or die 'the restore worker never got to the TRUNCATE';
is($node->safe_psql('postgres', q{
	SELECT CASE WHEN wait_event_type = 'Lock' THEN 'Lock' ELSE state END
	  FROM pg_stat_activity WHERE application_name = 'restore_worker'}),
	'Lock', 'the TRUNCATE of a never-written table waits for the lock instead of being refused');
$holder->query_safe('COMMIT');
$worker->query('INSERT INTO restored VALUES (1), (2); COMMIT');
$worker->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM restored'), '2',
	'the rows loaded after the TRUNCATE are there');

# 2. A real pg_restore -j 2.  The restore is held in its pre-data phase
# (after a_docs is created, at a COMMENT on a table whose lock the test
# holds), the lock holder takes ACCESS SHARE on a_docs, then the restore
# goes on to the data phase.
$node->safe_psql('postgres', q{
	CREATE DATABASE src;
});
$node->safe_psql('src', q{
	CREATE EXTENSION migrator;
	CREATE TABLE a_docs (id int, body text);
	INSERT INTO a_docs SELECT g, 'doc ' || g FROM generate_series(1, 5) g;
	CREATE TABLE z_blocker (id int);
	COMMENT ON TABLE z_blocker IS 'restored last';
});
my $dump = $node->basedir . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $dump ], 'pg_dump');
# The restore list without the CREATE TABLE of z_blocker: the target has it.
my $list = $node->basedir . '/src.list';
my ($listing, $err);
IPC::Run::run([ 'pg_restore', '-l', $dump ], '>', \$listing, '2>', \$err) or die "pg_restore -l: $err";
$listing =~ s/^(\d+; \d+ \d+ TABLE public z_blocker )/;$1/m;
open(my $fh, '>', $list) or die $!;
print $fh $listing;
close($fh);

$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->safe_psql('dst', 'CREATE TABLE z_blocker (id int)');
my $blocker = $node->background_psql('dst', on_error_stop => 0);
$blocker->query_safe('BEGIN; LOCK TABLE z_blocker IN ACCESS EXCLUSIVE MODE');
my ($rout, $rerr) = ('', '');
my $restore = IPC::Run::start(
	[ 'pg_restore', '-j', '2', '-L', $list, '-d', $node->connstr('dst'), $dump ],
	'>', \$rout, '2>', \$rerr);
$node->poll_query_until('dst', q{SELECT to_regclass('public.a_docs') IS NOT NULL})
  or die 'a_docs never created';
my $reader = $node->background_psql('dst', on_error_stop => 0);
$reader->query_safe('BEGIN; LOCK TABLE a_docs IN ACCESS SHARE MODE');
$blocker->query_safe('COMMIT');
# The data phase: the TRUNCATE of a_docs waits for the reader (or is refused).
$node->poll_query_until('dst', q{
	SELECT EXISTS (SELECT 1 FROM pg_stat_activity
	                WHERE datname = 'dst' AND wait_event_type = 'Lock' AND query LIKE 'TRUNCATE%')
	    OR EXISTS (SELECT 1 FROM pg_stat_activity
	                WHERE datname = 'dst' AND state = 'idle in transaction (aborted)')
	    OR NOT EXISTS (SELECT 1 FROM pg_stat_activity
	                    WHERE datname = 'dst' AND application_name = 'pg_restore')
}) or die 'the restore never reached the data of a_docs';
$reader->query_safe('COMMIT');
$restore->finish;
$reader->quit;
$blocker->quit;
unlike($rerr, qr/unplanned destructive statement TRUNCATE/, 'pg_restore -j 2 is not refused');
is($node->safe_psql('dst', 'SELECT count(*) FROM a_docs'), '5',
	'pg_restore -j 2 restores every row while another session reads the table');

done_testing();
