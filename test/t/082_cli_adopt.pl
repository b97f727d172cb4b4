# migrator adopt: a database migrated by the real dbmate and the real
# sqitch switches to migrator without re-running anything; golang-migrate's
# and Flyway's history tables are read the same way.
#
# dbmate (npm "dbmate") and sqitch (Debian "sqitch" with libdbd-pg-perl)
# are installed by test/run.sh when it runs as root, and then pass
# MIGRATOR_REQUIRE_TOOLS=1: a missing tool fails the test.  A developer
# running the suite without them (and not as root) gets a skip.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use File::Copy;
use Cwd qw(abs_path);
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('cli_adopt', no_extension => 1);
my $fixtures = abs_path('test/fixtures');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $user = $node->safe_psql('postgres', 'SELECT current_user');

sub cli
{
	my ($db, @args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'migrator', '-d', $node->connstr($db), @args ], '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub sql { $node->safe_psql(@_) }

# Runs an external tool; returns exit code and its output.
sub tool
{
	my ($env, @cmd) = @_;
	my $out = '';
	local %ENV = (%ENV, %$env);
	IPC::Run::run(\@cmd, '>&', \$out);
	return ($? >> 8, $out);
}

sub have
{
	my ($prog) = @_;
	return grep { -x "$_/$prog" } split /:/, $ENV{PATH};
}

sub states
{
	my ($db) = @_;
	return sql($db, "SELECT string_agg(version || '=' || state, ',' ORDER BY migrator.version_key(version)) FROM migrator.migrations");
}

my ($rc, $out, $err);

SKIP:
{
	if (!have('dbmate'))
	{
		die 'dbmate is not installed, and the test command ran as root: its install step failed'
		  if $ENV{MIGRATOR_REQUIRE_TOOLS};
		skip 'dbmate is not installed (npm install -g dbmate); run the suite as root to install it', 1;
	}

	# a team's database, migrated by dbmate before migrator arrived
	sql('postgres', 'CREATE DATABASE by_dbmate');
	sql('by_dbmate', 'CREATE SCHEMA app');
	my $url = "postgres://$user\@/by_dbmate?socket=" . $node->host . '&port=' . $node->port . '&sslmode=disable';
	($rc, $out) = tool({ DATABASE_URL => $url }, 'dbmate', '--migrations-dir', "$fixtures/dbmate",
		'--no-dump-schema', 'up');
	is($rc, 0, 'dbmate applied its migrations') or diag $out;
	is(sql('by_dbmate', 'SELECT count(*) FROM public.schema_migrations'), 4, 'dbmate recorded four versions');

	sql('by_dbmate', 'CREATE EXTENSION migrator');
	($rc, $out, $err) = cli('by_dbmate', 'adopt', '--from', 'dbmate');
	is($rc, 3, 'adopt before push is refused: the versions are not registered');
	like($err, qr/migration "20240101000000" is not registered/, 'the refusal names the version');
	like($err, qr/nothing was adopted/, 'nothing was adopted');

	($rc) = cli('by_dbmate', 'push', "$fixtures/dbmate");
	is($rc, 0, 'push the same directory');
	($rc, $out, $err) = cli('by_dbmate', 'adopt', '--from', 'dbmate', '--dry-run');
	is($rc, 0, 'adopt --dry-run');
	like($out, qr/^20240104000000 \| dbmate \| would mark applied$/m, 'adopt --dry-run lists what it would mark');
	is(sql('by_dbmate', "SELECT count(*) FROM migrator.migrations WHERE state = 'applied'"), 0,
		'adopt --dry-run marks nothing');

	($rc, $out, $err) = cli('by_dbmate', 'adopt', '--from', 'dbmate');
	is($rc, 0, 'adopt --from dbmate');
	like($err, qr/^marked 4 of 4 migrations dbmate applied as a baseline, without running them$/m,
		'adopt summarises');
	is(states('by_dbmate'),
		'20240101000000=applied,20240102000000=applied,20240103000000=applied,20240104000000=applied',
		'every version dbmate applied is applied in migrator');
	is(sql('by_dbmate', "SELECT count(*) FROM migrator.events WHERE action = 'apply' AND detail LIKE 'baseline: marked applied without running its up script; adopted from dbmate (schema_migrations)'"),
		4, 'each is recorded as a baseline in the events');
	($rc, $out, $err) = cli('by_dbmate', 'adopt', '--from', 'dbmate');
	is($rc, 0, 'adopting again succeeds');
	like($err, qr/marked 0 of 4/, 'and changes nothing');

	# nothing re-runs (a re-run of 20240101000000 would fail: the table exists);
	# the next migration is migrator's
	($rc, $out, $err) = cli('by_dbmate', 'apply');
	is($rc, 0, 'apply after adopt');
	like($err, qr/^applied 0 migrations/m, 'apply runs nothing dbmate applied');
	my $next = "$tmp/dbmate";
	mkdir $next;
	copy($_, $next) or die for glob("$fixtures/dbmate/*");
	open(my $fh, '>', "$next/20240105000000_add_phone.sql") or die;
	print $fh "-- migrate:up\nALTER TABLE app.users ADD COLUMN phone text;\n\n-- migrate:down\nALTER TABLE app.users DROP COLUMN phone;\n";
	close($fh);
	($rc) = cli('by_dbmate', 'push', $next);
	is($rc, 0, 'push a new migration');
	($rc, $out, $err) = cli('by_dbmate', 'apply');
	is($rc, 0, 'apply it');
	like($err, qr/^applied 20240105000000 \(additive\) \d+ ms\napplied 1 migration in/m, 'only the new one ran');
	is(sql('by_dbmate', "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name IN ('phone', 'email')"),
		2, 'the schema has both the dbmate and the migrator columns');
}

SKIP:
{
	if (!have('sqitch'))
	{
		die 'sqitch is not installed, and the test command ran as root: its install step failed'
		  if $ENV{MIGRATOR_REQUIRE_TOOLS};
		skip 'sqitch is not installed (apt-get install sqitch libdbd-pg-perl); run the suite as root to install it', 1;
	}

	# sqitch deployed the first two changes of the plan
	sql('postgres', 'CREATE DATABASE by_sqitch');
	my $target = "db:pg://$user\@/by_sqitch?host=" . $node->host . '&port=' . $node->port;
	my %env = (HOME => $tmp, SQITCH_USER_NAME => 'Test', SQITCH_USER_EMAIL => 'test@example.com');
	($rc, $out) = tool(\%env, 'sqitch', '--chdir', "$fixtures/sqitch", 'deploy', '--to', 'users', $target);
	is($rc, 0, 'sqitch deployed appschema and users') or diag $out;
	is(sql('by_sqitch', "SELECT string_agg(change, ',' ORDER BY committed_at) FROM sqitch.changes"),
		'appschema,users', 'sqitch recorded them');

	sql('by_sqitch', 'CREATE EXTENSION migrator');
	($rc) = cli('by_sqitch', 'push', "$fixtures/sqitch");
	is($rc, 0, 'push the sqitch project');
	($rc, $out, $err) = cli('by_sqitch', 'adopt', '--from', 'sqitch', "$fixtures/sqitch");
	is($rc, 0, 'adopt --from sqitch');
	is(states('by_sqitch'), '1_appschema=applied,2_users=applied,3_flips=pending',
		'the deployed changes are applied in migrator, the rest pending');
	($rc, $out) = cli('by_sqitch', 'verify');
	is($rc, 0, 'the adopted changes pass their sqitch verify scripts');
	($rc, $out, $err) = cli('by_sqitch', 'apply');
	is($rc, 0, 'apply the rest with migrator');
	like($err, qr/^applied 3_flips \(additive\) \d+ ms\napplied 1 migration in/m, 'only flips ran');
	is(sql('by_sqitch', "SELECT count(*) FROM pg_tables WHERE schemaname = 'flipr'"), 2, 'flipr has both tables');

	# another project's changes are not this project's
	($rc, $out, $err) = cli('by_sqitch', 'adopt', '--from', 'sqitch', '--project', 'other');
	is($rc, 0, 'adopt --project other');
	like($err, qr/marked 0 of 0/, 'finds nothing of another project');
}

# golang-migrate keeps one row: the newest version, and whether it is dirty
sql('postgres', 'CREATE DATABASE by_migrate');
sql('by_migrate', 'CREATE SCHEMA app; CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)');
sql('by_migrate', 'INSERT INTO schema_migrations VALUES (3, true)');
sql('by_migrate', 'CREATE EXTENSION migrator');
($rc) = cli('by_migrate', 'push', "$fixtures/golang-migrate");
is($rc, 0, 'golang-migrate: push');
($rc, $out, $err) = cli('by_migrate', 'adopt', '--from', 'golang-migrate');
is($rc, 1, 'golang-migrate: a dirty version is an error');
like($err, qr/golang-migrate marks version 3 dirty/, 'golang-migrate: the error says so');
sql('by_migrate', 'UPDATE schema_migrations SET dirty = false');
($rc, $out, $err) = cli('by_migrate', 'adopt', '--from', 'golang-migrate');
is($rc, 0, 'golang-migrate: adopt');
is(states('by_migrate'), '1=applied,2=applied,3=applied,4=pending',
	'golang-migrate: every version up to the recorded one is applied');

# Flyway: successful versioned rows whose latest entry is not an undo
sql('postgres', 'CREATE DATABASE by_flyway');
sql('by_flyway', q{
	CREATE SCHEMA app;
	CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50),
		description varchar(200), type varchar(20), script varchar(1000), checksum int,
		installed_by varchar(100), installed_on timestamp DEFAULT now(), execution_time int, success boolean);
	INSERT INTO flyway_schema_history VALUES
		(1, '1', 'create users', 'SQL', 'V1__create_users.sql', 1, 'x', now(), 1, true),
		(2, '1.1', 'add email', 'SQL', 'V1_1__add_email.sql', 1, 'x', now(), 1, true),
		(3, '2', 'orders', 'SQL', 'V2__orders.sql', 1, 'x', now(), 1, true),
		(4, NULL, 'users view', 'SQL', 'R__users_view.sql', 1, 'x', now(), 1, true),
		(5, '2', 'orders', 'UNDO_SQL', 'U2__orders.sql', 1, 'x', now(), 1, true),
		(6, '3', 'orders user idx', 'SQL', 'V3__orders_user_idx.sql', 1, 'x', now(), 1, false);
	CREATE EXTENSION migrator;
});
($rc) = cli('by_flyway', 'push', "$fixtures/flyway");
is($rc, 0, 'flyway: push');
($rc, $out, $err) = cli('by_flyway', 'adopt', '--from', 'flyway', '--json');
is($rc, 0, 'flyway: adopt');
like($out, qr/^\[\n  \{"version": "1", "tool": "flyway", "action": "marked applied"\},\n  \{"version": "1.1", /,
	'flyway: adopt --json');
is(states('by_flyway'), '1=applied,1.1=applied,2=pending,3=pending',
	'flyway: an undone version and a failed one stay pending');

# a history table that is not there
($rc, $out, $err) = cli('by_flyway', 'adopt', '--from', 'dbmate');
is($rc, 1, 'a missing history table is an error');
like($err, qr/dbmate's history table "schema_migrations" does not exist/, 'the error names the table');
($rc, $out, $err) = cli('by_flyway', 'adopt', '--from', 'liquibase');
is($rc, 2, 'an unknown tool is a usage error');

$node->stop;
done_testing();
