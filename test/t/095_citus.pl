# migrator on a Citus cluster (docs/citus.md): a coordinator that keeps the
# history and two workers (a third joins later), every node preloading
# citus and migrator.  Planned migrations that create, alter and drop
# distributed and reference tables apply, roll back and deploy, because the
# DDL Citus propagates carries the migration's authority, signed with the
# cluster key; the same DDL sent straight to a worker, with Citus's own
# markers or with a forged, stale or borrowed authority, is refused and
# recorded there.  Citus's maintenance (moves, splits, the rebalancer,
# cleanup of orphaned shards) is not blocked; alter_distributed_table() and
# undistribute_table() need an allowance.  lint(), plan(), check(), drift()
# and backfill() on distributed tables; a worker restarted mid-deploy.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);
use lib 'test/lib';
use DocExamples;
use MigratorCitus;

if (my $why = citus_available())
{
	plan skip_all => $why;
}

my ($coord, $w1, $w2) = citus_cluster();
my @workers = ($w1, $w2);

# --- the examples of docs/citus.md and of the README ------------------------
# Their blocks marked "citus" run in order, as shown, in a database of this
# cluster of their own ("docs", "readme"): on the coordinator, or on the
# worker they name ("worker1"), as "deployer" when they say so, else as the
# superuser.  docs/citus.md creates the role "deployer"; the README's
# session assumes the grants docs/citus.md shows.
foreach my $db ('docs', 'readme')
{
	foreach my $node ($coord, @workers)
	{
		$node->safe_psql('postgres', "CREATE DATABASE $db");
		$node->safe_psql($db, 'CREATE EXTENSION citus; CREATE EXTENSION migrator;');
	}
	$coord->safe_psql($db, "SELECT citus_set_coordinator_host('" . $coord->host . "', " . $coord->port . ')');
	$coord->safe_psql($db, "SELECT citus_add_node('" . $_->host . "', " . $_->port . ')') foreach @workers;
}

# Runs the blocks marked "citus" of $page in database $db; returns how many.
sub run_citus_page
{
	my ($page, $db) = @_;
	my %state;
	my $examples = 0;
	for my $b (doc_blocks($page))
	{
		next unless $b->{lang} eq 'sql' && $b->{attrs}{citus};
		my $node = $b->{attrs}{worker1} ? $w1 : $coord;
		local $ENV{PGHOST} = $node->host;
		local $ENV{PGPORT} = $node->port;
		local $ENV{PGDATABASE} = $db;
		local $ENV{PGUSER} = $b->{attrs}{deployer} ? 'deployer' : 'postgres';
		my ($ok, $out, $why) = doc_run_block($b, \%state);
		if ($ok && defined $b->{output} && !doc_output_matches($out, $b->{output}))
		{
			$ok = 0;
			$why = 'its output differs from the output shown';
		}
		ok($ok, "$page:$b->{line}: the example runs as shown")
		  or diag("$why\n--- printed:\n$out" . (defined $b->{output} ? "--- shown:\n$b->{output}" : ''));
		$examples++;
	}
	return $examples;
}

my $examples = run_citus_page('docs/citus.md', 'docs');
ok($examples >= 8, "docs/citus.md has its examples marked to run ($examples)");
$coord->safe_psql('readme', q{
	GRANT CREATE ON SCHEMA public TO deployer;
	GRANT USAGE ON SCHEMA migrator TO deployer;
	GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrator TO deployer;
});
$examples = run_citus_page('README.md', 'readme');
ok($examples >= 2, "README.md has its Citus session marked to run ($examples)");

# The deploy role of the rest of the suite is the one the page creates.
$coord->safe_psql('postgres', q{
	GRANT CREATE ON DATABASE postgres TO deployer;
	GRANT CREATE ON SCHEMA public TO deployer;
	GRANT USAGE ON SCHEMA migrator TO deployer;
	GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrator TO deployer;
});

# psql as "role" on "node"; returns (exit code, stdout, stderr).
sub as
{
	my ($node, $role, $sql) = @_;
	my ($out, $err);
	my $ret = $node->psql('postgres', $sql, stdout => \$out, stderr => \$err,
		extra_params => [ '-U', $role, '-v', 'VERBOSITY=verbose' ]);
	return ($ret, $out, $err);
}

sub deploy_ok
{
	my ($sql, $name) = @_;
	my ($ret, $out, $err) = as($coord, 'deployer', $sql);
	is($ret, 0, $name) or diag($err);
	return $out;
}

# The results of "sql" on every shard (placement) of "table", sorted: %s
# is the shard's name (run_command_on_placements()).
sub on_shards
{
	my ($table, $sql) = @_;
	return $coord->safe_psql('postgres',
		"SELECT string_agg(result, ',' ORDER BY result) FROM run_command_on_placements('$table', \$cmd\$$sql\$cmd\$)");
}

# Number of placements of "table" whose shard has column "col".
sub shards_with_column
{
	my ($table, $col) = @_;
	return $coord->safe_psql('postgres', qq{
		SELECT count(*) FILTER (WHERE result = '1') || '/' || count(*)
		  FROM run_command_on_placements('$table',
		       \$cmd\$SELECT count(*) FROM pg_attribute WHERE attrelid = '%s'::regclass
		              AND attname = '$col' AND NOT attisdropped\$cmd\$)});
}

sub blocks_on
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM migrator.events WHERE action = 'block'");
}

# --- migrations that create, alter and drop distributed and reference tables
deploy_ok(q{
	SELECT version FROM migrator.register('1', $$
		CREATE TYPE mood AS ENUM ('ok', 'meh');
		CREATE TABLE events (id bigint PRIMARY KEY, v int CONSTRAINT v_positive CHECK (v > 0), w int, note text);
		SELECT create_distributed_table('events', 'id');
		CREATE TABLE kinds (id int PRIMARY KEY, name text, legacy text);
		SELECT create_reference_table('kinds');
		CREATE TABLE audit (id bigint PRIMARY KEY, what text);
		SELECT create_distributed_table('audit', 'id');
		CREATE TABLE readings (id bigint, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
		CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
		CREATE TABLE readings_2027 PARTITION OF readings FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
		SELECT create_distributed_table('readings', 'id');
		CREATE SCHEMA reports;
		CREATE TABLE reports.daily (id bigint PRIMARY KEY, m mood);
		SELECT create_distributed_table('reports.daily', 'id');
		CREATE VIEW audit_ids AS SELECT id FROM audit;
		CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql AS 'SELECT $1 * 2';
		SELECT create_distributed_function('twice(int)');
		CREATE SEQUENCE tickets;
		INSERT INTO events SELECT g, g, g, 'n' FROM generate_series(1, 200) g;
		INSERT INTO kinds VALUES (1, 'one', 'x');
	$$);
	SELECT version FROM migrator.apply();
}, 'a migration creates distributed tables and a reference table');
is($coord->safe_psql('postgres',
		"SELECT string_agg(logicalrelid::text || ':' || partmethod::text, ',' ORDER BY logicalrelid::text) FROM pg_dist_partition"),
	'audit:h,events:h,kinds:n,readings:h,readings_2026:h,readings_2027:h,reports.daily:h', 'the tables are in Citus metadata');
is(shards_with_column('kinds', 'legacy'), '3/3',
	'the reference table has a placement on the coordinator and on both workers');

my @blocks_before = map { blocks_on($_) } @workers;
deploy_ok(q{
	SELECT version FROM migrator.register('2',
		'ALTER TABLE events DROP COLUMN w; ALTER TABLE kinds DROP COLUMN legacy',
		down => 'ALTER TABLE events ADD COLUMN w int; ALTER TABLE kinds ADD COLUMN legacy text',
		plan => 'w and legacy unused since release 12');
	SELECT version FROM migrator.apply();
}, 'a planned destructive migration on a distributed and a reference table applies');
is(shards_with_column('events', 'w'), '0/4', 'the column is gone from every shard');
is(shards_with_column('kinds', 'legacy'), '0/3',
	'and from every placement of the reference table, the coordinator\'s included');
is(join(',', map { blocks_on($_) } @workers), join(',', @blocks_before),
	'the workers refused nothing');
ok($w1->log_contains(qr/migrator guard: authorized rule=drop_column .*migration 2/),
	'a worker logs the DDL it ran on the coordinator\'s authority');

deploy_ok('SELECT version FROM migrator.rollback()', 'rollback() of the destructive migration');
is(shards_with_column('events', 'w') . ' ' . shards_with_column('kinds', 'legacy'),
	'4/4 3/3', 'the down script restores the columns on every shard');

deploy_ok('CALL migrator.deploy()', 'deploy() applies it again');
is($coord->safe_psql('postgres', "SELECT state FROM migrator.migrations WHERE version = '2'"),
	'applied', 'migration 2 is applied');
is(shards_with_column('events', 'w'), '0/4', 'deploy() dropped the column on every shard');

# CREATE INDEX CONCURRENTLY on a distributed table, through deploy()'s worker.
deploy_ok(q{
	SELECT version FROM migrator.register('3',
		'CREATE INDEX CONCURRENTLY events_v ON events (v)', transactional => false);
	CALL migrator.deploy();
}, 'deploy() runs CREATE INDEX CONCURRENTLY on a distributed table');
is(on_shards('events',
		q{SELECT count(*) FROM pg_index WHERE indrelid = '%s'::regclass AND indisvalid AND indkey::text = '2'}),
	'1,1,1,1', 'every shard has the valid index');

# An allowance on the coordinator carries over to the shards too.
my ($ret, $out, $err) = as($coord, 'postgres', q{
	BEGIN;
	SELECT migrator.allow('TRUNCATE events', reason => 'test of allow() across shards');
	TRUNCATE events;
	SELECT count(*) FROM events;
	ROLLBACK;
});
is($ret, 0, 'an allowed TRUNCATE of a distributed table runs') or diag($err);
like($out, qr/^0$/m, 'and empties every shard (rolled back)');

# A superuser switches the guard off for one transaction across the
# cluster: SET LOCAL, propagated by Citus (rolled back).
($ret, $out, $err) = as($coord, 'postgres', q{
	BEGIN;
	SET LOCAL citus.propagate_set_commands = local;
	SET LOCAL migrator.guard = off;
	ALTER TABLE events DROP COLUMN note;
	ROLLBACK;
});
is($ret, 0, 'SET LOCAL migrator.guard = off, propagated, switches the guard off on every node') or diag($err);
($ret, $out, $err) = as($coord, 'postgres', q{
	BEGIN;
	SET LOCAL migrator.guard = off;
	ALTER TABLE events DROP COLUMN note;
	ROLLBACK;
});
like($err, qr/MG011/, 'without propagation it applies to the coordinator only: the workers refuse');

# A reference table and a distributed table dropped by a migration; its
# down script recreates them.
sub relations_named
{
	my ($prefix) = @_;
	return join(',', map { $_->safe_psql('postgres', qq{SET citus.show_shards_for_app_name_prefixes = '*';
		SELECT count(*) FROM pg_class WHERE relname LIKE '$prefix%' AND relkind = 'r'}) } ($coord, @workers));
}
deploy_ok(q{
	SELECT version FROM migrator.register('4', $$
		SET LOCAL citus.multi_shard_modify_mode TO 'sequential';  -- a type command follows
		DROP TABLE kinds; DROP VIEW audit_ids; DROP TABLE audit; DROP TABLE readings;
		DROP SCHEMA reports CASCADE; DROP TYPE mood; DROP FUNCTION twice(int); DROP SEQUENCE tickets$$,
		down => $$CREATE TYPE mood AS ENUM ('ok', 'meh');
		          CREATE TABLE kinds (id int PRIMARY KEY, name text); SELECT create_reference_table('kinds');
		          CREATE TABLE audit (id bigint PRIMARY KEY, what text); SELECT create_distributed_table('audit', 'id');
		          CREATE VIEW audit_ids AS SELECT id FROM audit;
		          CREATE TABLE readings (id bigint, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
		          SELECT create_distributed_table('readings', 'id');
		          CREATE SCHEMA reports;
		          CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql AS 'SELECT $1 * 2';
		          CREATE SEQUENCE tickets$$,
		plan => 'kinds moved to the catalog service, audit to the log store, readings to the TSDB, reports retired');
	SELECT version FROM migrator.apply();
}, 'a migration drops a reference, a distributed and a partitioned table, a view, a schema with a table, a type, a function, a sequence');
is(join(',', map { $_->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM pg_type WHERE typname = 'mood') + (SELECT count(*) FROM pg_namespace WHERE nspname = 'reports')
		     + (SELECT count(*) FROM pg_proc WHERE proname = 'twice') + (SELECT count(*) FROM pg_class WHERE relname IN ('tickets', 'audit_ids'))})
		} ($coord, @workers)),
	'0,0,0', 'the view, schema, type, function and sequence are gone from every node');
is($coord->safe_psql('postgres',
		"SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text IN ('kinds', 'audit') OR logicalrelid::text LIKE 'readings%'"),
	'0', 'they are gone from Citus metadata');
is(relations_named('kinds') . ' ' . relations_named('audit') . ' ' . relations_named('readings'),
	'0,0,0 0,0,0 0,0,0', 'and so are their shards on every node, the partitions\' too');
deploy_ok('SELECT version FROM migrator.rollback()', 'rollback() of the drops');
is(relations_named('audit'), '1,3,3', 'the distributed table is back: its shell and two shards on each worker');
deploy_ok('SELECT version FROM migrator.apply()', 'and apply() drops them again');
is(relations_named('kinds') . ' ' . relations_named('audit'), '0,0,0 0,0,0',
	'on every node');

# --- destructive DDL sent straight to a worker -----------------------------
my ($shard) = split /\n/, $w1->safe_psql('postgres',
	"SELECT shard_name('events'::regclass, shardid, false) FROM pg_dist_shard JOIN pg_dist_placement USING (shardid) "
	  . "WHERE logicalrelid = 'events'::regclass AND groupid = (SELECT groupid FROM pg_dist_local_group) ORDER BY shardid LIMIT 1");
ok($shard =~ /^public\.events_\d+$/, "worker 1 holds shard $shard");
my $w1_blocks = blocks_on($w1);
foreach my $stmt ("DROP TABLE $shard", "TRUNCATE $shard", "ALTER TABLE $shard DROP COLUMN v")
{
	($ret, $out, $err) = as($w1, 'deployer', $stmt);
	like($err, qr/MG011: unplanned destructive statement/, "straight to a worker, the shard's owner is refused: $stmt");
}
is(blocks_on($w1) - $w1_blocks, 3, 'each refusal is recorded in the worker\'s events');
is($w1->safe_psql('postgres',
		"SELECT string_agg(role || ':' || rule, ',' ORDER BY id) FROM (SELECT * FROM migrator.events WHERE action = 'block' ORDER BY id DESC LIMIT 3) e"),
	'deployer:drop_table,deployer:truncate,deployer:drop_column', 'with the role and the rule');

# Citus's own markers of its connections carry no authority.
($ret, $out, $err) = as($w1, 'deployer', qq{
	SET application_name = 'citus_internal gpid=10000012345';
	BEGIN;
	SELECT assign_distributed_transaction_id(0, 12345, now());
	ALTER TABLE $shard DROP COLUMN v;
	ROLLBACK;
});
like($err, qr/MG011/, 'citus_internal application_name and a distributed transaction id do not help');

# An authority: a valid one works, a forged, stale or borrowed one does not.
sub with_token
{
	my ($token) = @_;
	return as($w1, 'deployer', qq{
		BEGIN;
		SET LOCAL migrator.cluster_authority = '$token';
		ALTER TABLE $shard DROP COLUMN note;
		ROLLBACK;
	});
}
my @permit = ([ 'drop_column', "$shard.note" ]);
($ret, $out, $err) = with_token(cluster_token(role => 'deployer', permits => \@permit, version => '9'));
is($ret, 0, 'an authority signed with the cluster key is accepted') or diag($err);
($ret, $out, $err) = with_token(cluster_token(role => 'deployer', permits => \@permit, key => 'ab' x 32));
like($err, qr/MG011.*\n.*DETAIL:.*signature/s, 'an authority signed with another key is refused');
($ret, $out, $err) = with_token(cluster_token(role => 'deployer', permits => \@permit, issued => time() - 3600));
like($err, qr/MG011.*\n.*DETAIL:.*expired/s, 'an expired authority is refused');
($ret, $out, $err) = with_token(cluster_token(role => 'postgres', permits => \@permit));
like($err, qr/MG011.*\n.*DETAIL:.*role/s, 'an authority issued to another role is refused');
($ret, $out, $err) = with_token(cluster_token(role => 'deployer', permits => [ [ 'drop_column', "$shard.v" ] ]));
like($err, qr/MG011/, 'an authority for another statement does not cover this one');
my $good = cluster_token(role => 'deployer', permits => \@permit);
$good =~ s/drop_column/drop_table/;
($ret, $out, $err) = with_token($good);
like($err, qr/MG011.*\n.*DETAIL:.*signature/s, 'an authority whose permits were edited is refused');

# The key cannot be read or changed by an ordinary role.
($ret, $out, $err) = as($w1, 'deployer', "SELECT pg_read_file('migrator_cluster.key')");
like($err, qr/permission denied/, 'an ordinary role cannot read the key file');
($ret, $out, $err) = as($w1, 'deployer', "SET migrator.cluster_key_file = 'other.key'");
like($err, qr/cannot be changed now|permission denied/, 'nor point migrator.cluster_key_file elsewhere');

# A key file others can read is not used; the refusal says why.
chmod 0644, $w2->data_dir . '/migrator_cluster.key';
($ret, $out, $err) = as($coord, 'deployer', q{
	SELECT version FROM migrator.register('5', 'ALTER TABLE events RENAME COLUMN note TO remark',
		down => 'ALTER TABLE events RENAME COLUMN remark TO note', plan => 'naming');
	SELECT version FROM migrator.apply();
});
like($err, qr/MG011.*\n.*DETAIL:.*migrator_cluster\.key.*(group|world|others)/s,
	'a worker whose key file others can read refuses, and says why');
is(shards_with_column('events', 'note'), '4/4', 'nothing of the migration is left on any shard');
chmod 0600, $w2->data_dir . '/migrator_cluster.key';

# Without a key the coordinator refuses before anything reaches a worker.
$coord->append_conf('postgresql.conf', "migrator.cluster_key_file = ''\n");
$coord->reload;
($ret, $out, $err) = as($coord, 'deployer', 'SELECT version FROM migrator.apply()');
like($err, qr/MG014: .*events/, 'a coordinator without a cluster key refuses a destructive statement on a distributed table');
like($err, qr/HINT:.*migrator\.cluster_key_file/, 'and names the setting');
$coord->append_conf('postgresql.conf', "migrator.cluster_key_file = 'migrator_cluster.key'\n");
$coord->reload;
deploy_ok('SELECT version FROM migrator.apply()', 'with the key back, migration 5 applies');
is(shards_with_column('events', 'remark'), '4/4', 'the rename reached every shard');

# --- Citus's maintenance ------------------------------------------------------
my @all = ($coord, @workers);
my @all_blocks = map { blocks_on($_) } @all;
sub placement_of
{
	my ($shardid) = @_;
	return $coord->safe_psql('postgres', "SELECT nodeport FROM pg_dist_shard_placement WHERE shardid = $shardid");
}
sub cleanup_ok
{
	my ($what) = @_;
	my ($r, $o, $e) = as($coord, 'postgres', 'CALL citus_cleanup_orphaned_resources()');
	unlike($e, qr/unplanned destructive|failed to clean up/, "$what: Citus cleans up its orphaned resources");
	is($coord->safe_psql('postgres', 'SELECT count(*) FROM pg_dist_cleanup'), '0',
		"$what: nothing is left in pg_dist_cleanup");
}
my ($moved) = $coord->safe_psql('postgres', "SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = 'events'::regclass");
my $from = placement_of($moved);
my ($src, $dst) = $from == $w1->port ? ($w1, $w2) : ($w2, $w1);
foreach my $mode ('force_logical', 'block_writes')
{
	($ret, $out, $err) = as($coord, 'postgres', sprintf(
		"SELECT citus_move_shard_placement(%d, '%s', %d, '%s', %d, shard_transfer_mode => '%s')",
		$moved, $src->host, $src->port, $dst->host, $dst->port, $mode));
	is($ret, 0, "a shard move ($mode) succeeds") or diag($err);
	is(placement_of($moved), $dst->port, "the shard is on the other worker ($mode)");
	cleanup_ok("move ($mode)");
	($src, $dst) = ($dst, $src);
}

($ret, $out, $err) = as($coord, 'postgres', qq{
	SELECT citus_split_shard_by_split_points($moved,
		ARRAY[((SELECT shardminvalue::int FROM pg_dist_shard WHERE shardid = $moved) + 1000)::text],
		ARRAY[(SELECT nodeid FROM pg_dist_node WHERE nodeport = @{[ $w1->port ]}),
		      (SELECT nodeid FROM pg_dist_node WHERE nodeport = @{[ $w2->port ]})],
		shard_transfer_mode => 'force_logical');
});
is($ret, 0, 'a shard split succeeds') or diag($err);
cleanup_ok('split');

is($coord->safe_psql('postgres', "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'events'::regclass"),
	'5', 'events has five shards after the split');

# A third worker joins (with the library preloaded and the key, but without
# the extension: Citus creates it); the rebalancer moves shards onto it.
my $w3 = citus_node('worker3', no_migrator => 1);
citus_join($coord, $w3);
is($w3->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'migrator'"),
	$coord->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'migrator'"),
	'Citus creates migrator on a node that joins');
push @workers, $w3;
push @all, $w3;
push @all_blocks, 0;
($ret, $out, $err) = as($coord, 'postgres', q{
	SELECT citus_rebalance_start(shard_transfer_mode => 'force_logical');
	SET statement_timeout = '180s';  -- a stuck job fails the test, not the run
	SELECT citus_rebalance_wait();
	SELECT state FROM citus_rebalance_status();
});
like($out, qr/finished/, 'the rebalancer finishes its job') or diag($out . $err);
ok($coord->safe_psql('postgres', "SELECT count(*) FROM pg_dist_shard_placement WHERE nodeport = " . $w3->port) > 0,
	'the new worker holds shards');
cleanup_ok('rebalance');
is(join(',', map { blocks_on($_) } @all), join(',', @all_blocks),
	'no node refused any of Citus\'s maintenance');

# The split's and the rebalancer's publications of shards without a replica
# identity passed because it is Citus's (its name) and publishes a shard; the same name on
# a table that is no shard is judged like any publication.
($ret, $out, $err) = as($w1, 'postgres', q{
	SET citus.enable_ddl_propagation = off;  -- this node's publication only
	CREATE TABLE not_a_shard_1 (v int);
	CREATE PUBLICATION citus_shard_split_publication_9_9_9 FOR TABLE not_a_shard_1;
});
like($err, qr/MG011: unplanned destructive statement CREATE PUBLICATION.*\n.*DETAIL:  Rule publish_without_identity/,
	"a publication named like Citus's transfers, of a table that is no shard, is refused") or diag($err);

# DROP INDEX CONCURRENTLY runs outside the distributed transaction: no
# authority can reach the workers, so the coordinator refuses it first.
as($coord, 'deployer', q{SELECT version FROM migrator.register('6', 'DROP INDEX CONCURRENTLY events_v',
	down => 'CREATE INDEX CONCURRENTLY events_v ON events (v)', plan => 'unused', transactional => false)});
($ret, $out, $err) = as($coord, 'deployer', 'CALL migrator.deploy()');
like($err, qr/MG014: cannot carry the authority for DROP INDEX on "events_v" to the workers/,
	'DROP INDEX CONCURRENTLY of a distributed index is refused on the coordinator');
is(on_shards('events', q{SELECT count(*) FROM pg_index WHERE indrelid = '%s'::regclass AND indkey::text = '2'}),
	'1,1,1,1,1', 'the index is still on every shard');

deploy_ok(q{
	SELECT version FROM migrator.register('6',
		'ALTER TABLE events DROP COLUMN remark; DROP INDEX events_v; ALTER TABLE events DROP CONSTRAINT v_positive',
		down => 'ALTER TABLE events ADD COLUMN remark text; CREATE INDEX events_v ON events (v); ALTER TABLE events ADD CONSTRAINT v_positive CHECK (v > 0)',
		plan => 'remark, the index on v and its check are unused');
	SELECT version FROM migrator.apply();
}, 'a destructive migration after the rebalance applies: a column, an index and a constraint');
is(shards_with_column('events', 'remark'), '0/5', 'on every shard, those on the new worker too');
is(on_shards('events', q{SELECT count(*) FROM pg_index WHERE indrelid = '%s'::regclass AND indkey::text = '2'})
	. ' ' . on_shards('events', q{SELECT count(*) FROM pg_constraint WHERE conrelid = '%s'::regclass AND contype = 'c'}),
	'0,0,0,0,0 0,0,0,0,0', 'the index and the constraint are gone from every shard');

# alter_distributed_table() copies the table and drops the old one: refused
# unless allowed, with the allowance to write in the hint.
($ret, $out, $err) = as($coord, 'postgres', "SELECT alter_distributed_table('events', shard_count := 6)");
@all_blocks = map { blocks_on($_) } @all;
like($err, qr/MG011: unplanned destructive statement DROP TABLE on "public\.events"/,
	'alter_distributed_table() is refused without an allowance');
like($err, qr/HINT:.*migrator\.allow\('DROP TABLE public\.events CASCADE'/,
	'the hint gives the allowance to write');
deploy_ok(q{
	SELECT version FROM migrator.register('7', $$
		SELECT migrator.allow('DROP TABLE public.events CASCADE', reason => 'reshard to 6');
		SELECT alter_distributed_table('events', shard_count := 6);
	$$);
	SELECT version FROM migrator.apply();
}, 'alter_distributed_table() in a migration with the allowance');
is($coord->safe_psql('postgres',
		"SELECT count(*) || ',' || (SELECT count(*) FROM events) FROM pg_dist_shard WHERE logicalrelid = 'events'::regclass"),
	'6,200', 'events has six shards and all its rows');
is(join(',', map { blocks_on($_) } @all), join(',', @all_blocks), 'no worker refused the shards it dropped');

# undistribute_table() likewise.
$coord->safe_psql('postgres', q{CREATE TABLE notes (id int PRIMARY KEY, t text);
	SELECT create_distributed_table('notes', 'id'); INSERT INTO notes VALUES (1, 'a'), (2, 'b')});
($ret, $out, $err) = as($coord, 'postgres', "SELECT undistribute_table('notes')");
like($err, qr/MG011: unplanned destructive statement DROP TABLE on "public\.notes"/,
	'undistribute_table() is refused without an allowance');
($ret, $out, $err) = as($coord, 'postgres', q{
	BEGIN;
	SELECT migrator.allow('DROP TABLE public.notes CASCADE', reason => 'notes stay on the coordinator');
	SELECT undistribute_table('notes');
	COMMIT;
	SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'notes'::regclass;
	SELECT count(*) FROM notes;
});
is($ret, 0, 'with the allowance it runs') or diag($err);
like($out, qr/^0\n2$/m, 'the table is local again, with its rows');
$coord->safe_psql('postgres', q{BEGIN; SELECT migrator.allow('DROP TABLE notes', reason => 'test table');
	DROP TABLE notes; COMMIT;});
@all_blocks = map { blocks_on($_) } @all;

# --- lint(), plan(), check(), drift() ----------------------------------------
deploy_ok(q{
	SELECT version FROM migrator.register('8', 'ALTER TABLE events ADD COLUMN flag boolean NOT NULL DEFAULT false',
		down => 'ALTER TABLE events DROP COLUMN flag', plan => 'x');
}, 'a pending migration on the distributed table');
$out = $coord->safe_psql('postgres', "SELECT locks FROM migrator.plan('8')");
like($out, qr/^events AccessExclusiveLock; on each of the 6 shards of public\.events, on 3 nodes \(\S+:\d+, \S+:\d+, \S+:\d+\)$/,
	'plan() says the locks are taken on every shard, and on which nodes');
$out = $coord->safe_psql('postgres',
	"SELECT rule || ' ' || severity || ': ' || message FROM migrator.lint('ALTER TABLE events ALTER COLUMN v TYPE bigint') WHERE rule = 'citus_distributed'");
like($out, qr/^citus_distributed info: ALTER TABLE on a Citus table takes its locks on each of the 6 shards of public\.events, on 3 nodes \(/,
	'lint() says a statement on a distributed table locks every shard');
$coord->safe_psql('postgres', q{CREATE TABLE single (id int PRIMARY KEY, v int);
	SELECT create_distributed_table('single', 'id', shard_count => 1)});
$out = $coord->safe_psql('postgres',
	"SELECT message FROM migrator.lint('ALTER TABLE single ALTER COLUMN v TYPE bigint') WHERE rule = 'citus_distributed'");
like($out, qr/takes its locks on the 1 shard of public\.single, on 1 node \(\S+:\d+\)$/,
	'and one shard on one node is said in the singular');
$coord->safe_psql('postgres', q{BEGIN; SELECT migrator.allow('DROP TABLE single', reason => 'test table');
	DROP TABLE single; COMMIT;});
$out = $coord->safe_psql('postgres', 'SELECT version || outcome FROM migrator.check()');
is($out, '8ok', 'check() runs the migration up, down, up across the cluster');
is(shards_with_column('events', 'flag'), '0/6', 'and leaves nothing on any shard');

is($coord->safe_psql('postgres', 'SELECT count(*) FROM migrator.drift()'), '0',
	'drift() sees no change after the migrations');
$coord->safe_psql('postgres', q{CREATE TABLE lookup (id int PRIMARY KEY); SELECT create_reference_table('lookup')});
is($coord->safe_psql('postgres', q{SET citus.show_shards_for_app_name_prefixes = '*';
		SELECT string_agg(kind || ' ' || object, ',' ORDER BY kind, object) FROM migrator.drift() WHERE change = 'added'}),
	'column public.lookup.id,constraint public.lookup.lookup_pkey,index public.lookup_pkey,table public.lookup',
	'drift() reports the new table, never its shard on the coordinator');

# --- backfill() commits each batch across the shards -------------------------
($ret, $out, $err) = as($coord, 'deployer',
	q{CALL migrator.backfill('events', 'v = CASE WHEN id > 120 THEN v / (id - id) ELSE v * 2 END', batch_size => 50)});
like($err, qr/division by zero/, 'a backfill that fails in its third batch stops');
is($coord->safe_psql('postgres', q{SELECT last_key || ',' || batches || ',' || rows_done FROM migrator.backfills ORDER BY id DESC LIMIT 1}),
	'100,2,100', 'two batches are recorded');
is($coord->safe_psql('postgres', 'SELECT count(*) FILTER (WHERE v = id * 2) || \',\' || count(*) FILTER (WHERE v = id) FROM events'),
	'100,100', 'their rows stay updated on every shard, the rest is untouched');
($ret, $out, $err) = as($coord, 'deployer', q{CALL migrator.backfill('events', 'v = v + 1', batch_size => 64)});
like($err, qr/backfill of public\.events done: 200 rows\nDETAIL:  The backfill committed 4 batches\./, 'a backfill of a distributed table runs batch by batch');

# --- a worker restarted mid-deploy ------------------------------------------
deploy_ok(q{
	SELECT version FROM migrator.register('9', 'ALTER TABLE events ADD COLUMN late int; SELECT pg_sleep(5)');
}, 'a migration that waits after its DDL');
my ($dout, $derr) = ('', '');
my $deploy = IPC::Run::start(
	[ 'psql', '-XAt', '-U', 'deployer', '-d', $coord->connstr('postgres'), '-c', 'CALL migrator.deploy()' ],
	'>', \$dout, '2>', \$derr);
$coord->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'")
  or die 'the migration did not start';
$w1->stop('immediate');
$w1->start;
$deploy->finish;
ok($derr =~ /ERROR/, 'the deploy fails when a worker restarts under it') or diag($derr);
is($coord->safe_psql('postgres', "SELECT state FROM migrator.migrations WHERE version = '9'"),
	'pending', 'the migration stays pending');
# What a DBA runs after a node failure (docs/citus.md): resolve the prepared
# transactions the failed commit left on the other workers.
$coord->safe_psql('postgres', 'SELECT recover_prepared_transactions()');
is(shards_with_column('events', 'late'), '0/6', 'nothing of it is left on any shard');
deploy_ok('CALL migrator.deploy()', 'deploy() again after the restart');
is(shards_with_column('events', 'late'), '6/6', 'the migration is on every shard');
is(join(',', map { blocks_on($_) } @all), join(',', @all_blocks), 'no worker refused anything of it');

done_testing();
