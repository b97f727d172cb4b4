# migrator adopt: a database migrated by the real dbmate, sqitch,
# drizzle-kit, Supabase CLI and Liquibase switches to migrator without
# re-running anything; the history tables of golang-migrate, goose, Flyway,
# Prisma and Atlas (tools that do not install here) are built as their
# documentation describes them and read the same way.
#
# The real tools (npm "dbmate", "drizzle-kit" with "pg", "supabase",
# "node-liquibase" with a Java runtime; Debian "sqitch" with
# libdbd-pg-perl) are installed by test/run.sh when it runs as root, and
# then pass MIGRATOR_REQUIRE_TOOLS=1: a missing tool fails the test.  A
# developer running the suite without them (and not as root) gets a skip.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use File::Copy;
use File::Path;
use Cwd qw(abs_path);
use lib 'test/lib';
use MigratorTest;

# TCP too: Liquibase connects through JDBC, which has no Unix sockets
my $node = migrator_node('cli_adopt', no_extension => 1, conf => "listen_addresses = '127.0.0.1'\n");
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
($rc, $out, $err) = cli('by_flyway', 'adopt', '--from', 'knex');
is($rc, 2, 'an unknown tool is a usage error');
($rc, $out, $err) = cli('by_flyway', 'adopt', '--from', 'drizzle');
is($rc, 2, 'drizzle needs the migration directory');
like($err, qr/adopt --from drizzle needs the migration directory/, 'and says so');

# A copy of a fixture directory holding only some of its migrations: what
# a tool had applied before the rest was written.
sub partial_copy
{
	my ($from, $to, @keep) = @_;
	mkdir $to;
	for my $f (@keep)
	{
		my $dir = $f =~ m{^(.*)/} ? "$to/$1" : undef;
		File::Path::make_path($dir) if $dir;
		copy("$from/$f", "$to/$f") or die "copy $from/$f: $!";
	}
}

SKIP:
{
	if (!have('drizzle-kit'))
	{
		die 'drizzle-kit is not installed, and the test command ran as root: its install step failed'
		  if $ENV{MIGRATOR_REQUIRE_TOOLS};
		skip 'drizzle-kit is not installed (npm install -g drizzle-kit pg)', 1;
	}
	# drizzle-kit applied the first two journal entries
	my $early = "$tmp/drizzle_early";
	partial_copy("$fixtures/drizzle", $early, qw(0000_stormy_users.sql 0001_lucky_posts.sql));
	mkdir "$early/meta";
	open(my $fh, '>', "$early/meta/_journal.json") or die;
	my $journal = PostgreSQL::Test::Utils::slurp_file("$fixtures/drizzle/meta/_journal.json");
	$journal =~ s/,\s*\{[^{}]*"0002_quiet_published"[^{}]*\}//;
	print $fh $journal;
	close($fh);
	open($fh, '>', "$tmp/drizzle.config.js") or die;
	print $fh "module.exports = { dialect: 'postgresql', out: '$early', dbCredentials: { url: process.env.DATABASE_URL } };\n";
	close($fh);
	sql('postgres', 'CREATE DATABASE by_drizzle');
	my $url = "postgresql://$user\@localhost/by_drizzle?host=" . $node->host . '&port=' . $node->port;
	($rc, $out) = tool({ DATABASE_URL => $url }, 'drizzle-kit', 'migrate', "--config=$tmp/drizzle.config.js");
	is($rc, 0, 'drizzle-kit applied two migrations') or diag $out;
	is(sql('by_drizzle', 'SELECT count(*) FROM drizzle.__drizzle_migrations'), 2, 'drizzle-kit recorded them');

	sql('by_drizzle', 'CREATE EXTENSION migrator');
	($rc, $out, $err) = cli('by_drizzle', 'push', "$fixtures/drizzle");
	is($rc, 0, 'drizzle: push the whole directory') or diag $err;
	($rc, $out, $err) = cli('by_drizzle', 'adopt', '--from', 'drizzle', "$fixtures/drizzle");
	is($rc, 0, 'adopt --from drizzle') or diag $err;
	is(states('by_drizzle'), '0000=applied,0001=applied,0002=pending',
		'drizzle: the entries up to the newest created_at are applied, the rest pending');
	($rc, $out, $err) = cli('by_drizzle', 'apply');
	is($rc, 0, 'drizzle: apply the rest with migrator') or diag $err;
	like($err, qr/^applied 0002 \(additive\) \d+ ms\napplied 1 migration in/m, 'drizzle: only the new one ran');
}

SKIP:
{
	if (!have('supabase'))
	{
		die 'the Supabase CLI is not installed, and the test command ran as root: its install step failed'
		  if $ENV{MIGRATOR_REQUIRE_TOOLS};
		skip 'the Supabase CLI is not installed (npm install -g supabase@2.117.0)', 1;
	}
	my $early = "$tmp/supabase_early";
	partial_copy("$fixtures/supabase", $early,
		map { "supabase/migrations/$_" } qw(20240101000000_create_profiles.sql 20240102000000_add_avatar.sql));
	sql('postgres', 'CREATE DATABASE by_supabase');
	my $url = "postgresql://$user\@127.0.0.1:" . $node->port . '/by_supabase?sslmode=disable';
	($rc, $out) = tool({ HOME => $tmp }, 'supabase', '--workdir', $early, 'db', 'push', '--db-url', $url, '--yes');
	is($rc, 0, 'supabase db push applied two migrations') or diag $out;
	is(sql('by_supabase', 'SELECT count(*) FROM supabase_migrations.schema_migrations'), 2, 'supabase recorded them');

	sql('by_supabase', 'CREATE EXTENSION migrator');
	($rc, $out, $err) = cli('by_supabase', 'push', "$fixtures/supabase");
	is($rc, 0, 'supabase: push the project') or diag $err;
	($rc, $out, $err) = cli('by_supabase', 'adopt', '--from', 'supabase');
	is($rc, 0, 'adopt --from supabase') or diag $err;
	is(states('by_supabase'), '20240101000000=applied,20240102000000=applied,20240103000000=pending',
		'supabase: what the CLI applied is applied');
	($rc, $out, $err) = cli('by_supabase', 'apply');
	is($rc, 0, 'supabase: apply the rest with migrator') or diag $err;
	is(sql('by_supabase', "SELECT count(*) FROM pg_policies WHERE tablename = 'profiles'"), 1, 'supabase: the policy exists');
}

# Liquibase: a "liquibase" on PATH, or the one node-liquibase ships
my ($liquibase, $jdbc);
if (have('liquibase'))
{
	$liquibase = 'liquibase';
}
elsif (have('npm') && have('java'))
{
	my $root = `npm root -g`;
	chomp $root;
	my $dist = "$root/node-liquibase/dist";
	($jdbc) = glob("$dist/drivers/postgresql-*.jar");
	$liquibase = "$dist/liquibase/liquibase" if -f "$dist/liquibase/liquibase" && $jdbc;
}
SKIP:
{
	if (!$liquibase)
	{
		die 'Liquibase is not installed, and the test command ran as root: its install step failed'
		  if $ENV{MIGRATOR_REQUIRE_TOOLS};
		skip 'Liquibase is not installed (npm install -g node-liquibase, and a Java runtime)', 1;
	}
	sql('postgres', 'CREATE DATABASE by_liquibase');
	sql('by_liquibase', 'CREATE SCHEMA app');
	my @cmd = ('sh', $liquibase, '--changeLogFile=changelog.sql',
		'--url=jdbc:postgresql://127.0.0.1:' . $node->port . '/by_liquibase', "--username=$user",
		($jdbc ? ("--classpath=$jdbc") : ()), 'updateCount', '2');
	my $lbout = '';
	IPC::Run::run(\@cmd, '>&', \$lbout, init => sub { chdir "$fixtures/liquibase" or die });
	is($? >> 8, 0, 'Liquibase applied two changesets') or diag $lbout;
	is(sql('by_liquibase', "SELECT string_agg(author || ':' || id, ',' ORDER BY orderexecuted) FROM databasechangelog"),
		'alice:1,alice:2', 'Liquibase recorded them');

	sql('by_liquibase', 'CREATE EXTENSION migrator');
	($rc, $out, $err) = cli('by_liquibase', 'push', "$fixtures/liquibase");
	is($rc, 0, 'liquibase: push the changelog') or diag $err;
	($rc, $out, $err) = cli('by_liquibase', 'adopt', '--from', 'liquibase', "$fixtures/liquibase");
	is($rc, 0, 'adopt --from liquibase') or diag $err;
	is(states('by_liquibase'), '1_1=applied,2_2=applied,3_3=pending,4_5=pending',
		'liquibase: changesets matched by id, author and file');
	($rc, $out, $err) = cli('by_liquibase', 'apply', '3_3');
	is($rc, 3, 'liquibase: the non-transactional changeset needs deploy');
	($rc, $out, $err) = cli('by_liquibase', 'deploy');
	is($rc, 0, 'liquibase: deploy the rest with migrator') or diag $err;
	is(states('by_liquibase'), '1_1=applied,2_2=applied,3_3=applied,4_5=applied', 'liquibase: all applied');
	is(sql('by_liquibase', "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'legacy_code'"),
		0, 'liquibase: the contract step ran');

	# a changeset the history has and the changelog does not
	sql('by_liquibase', "INSERT INTO databasechangelog (id, author, filename, dateexecuted, orderexecuted, exectype) VALUES ('9', 'carol', 'changelog.sql', now(), 9, 'EXECUTED')");
	($rc, $out, $err) = cli('by_liquibase', 'adopt', '--from', 'liquibase', "$fixtures/liquibase");
	is($rc, 3, 'liquibase: an unknown changeset in the history is refused');
	like($err, qr/databasechangelog records changeset carol:9 of "changelog\.sql", which the changelog in the directory does not have/,
		'liquibase: the refusal names it');
}

# goose: goose_db_version as goose creates it; the latest row of a
# version says whether it is applied (older goose recorded a down as a row
# with is_applied = false; version 0 is goose's own first row)
sql('postgres', 'CREATE DATABASE by_goose');
sql('by_goose', q{
	CREATE SCHEMA app;
	CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL,
		is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id));
	INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true), (3, true), (3, false);
	CREATE EXTENSION migrator;
});
($rc, $out, $err) = cli('by_goose', 'push', "$fixtures/goose");
is($rc, 0, 'goose: push') or diag $err;
($rc, $out, $err) = cli('by_goose', 'adopt', '--from', 'goose');
is($rc, 0, 'goose: adopt') or diag $err;
is(states('by_goose'), '1=applied,2=applied,3=pending,4=pending',
	'goose: versions whose latest row is applied; the rolled-back one stays pending');

# Prisma: _prisma_migrations as Prisma creates it
sql('postgres', 'CREATE DATABASE by_prisma');
sql('by_prisma', q{
	CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL,
		"finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT,
		"rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
		"applied_steps_count" INTEGER NOT NULL DEFAULT 0);
	INSERT INTO "_prisma_migrations" VALUES
		('a', 'x', now(), '20240101000000_init', NULL, NULL, now(), 1),
		('b', 'x', now(), '20240102000000_add_posts', NULL, NULL, now(), 1),
		('c', 'x', NULL, '20240103000000_add_published', 'failed', now(), now(), 0);
	CREATE EXTENSION migrator;
});
($rc, $out, $err) = cli('by_prisma', 'push', "$fixtures/prisma");
is($rc, 0, 'prisma: push') or diag $err;
($rc, $out, $err) = cli('by_prisma', 'adopt', '--from', 'prisma');
is($rc, 0, 'prisma: adopt') or diag $err;
is(states('by_prisma'), '20240101000000=applied,20240102000000=applied,20240103000000=pending',
	'prisma: finished migrations are applied, a rolled-back one is not');
sql('by_prisma', q{INSERT INTO "_prisma_migrations" VALUES ('d', 'x', NULL, '20240103000000_add_published', NULL, NULL, now(), 0)});
($rc, $out, $err) = cli('by_prisma', 'adopt', '--from', 'prisma');
is($rc, 1, 'prisma: a failed migration in the history is an error');
like($err, qr/Prisma records migration 20240103000000_add_published as failed/, 'prisma: the error names it');

# Atlas: atlas_schema_revisions as Atlas creates it; a baseline covers
# every version up to it
sql('postgres', 'CREATE DATABASE by_atlas');
sql('by_atlas', q{
	CREATE SCHEMA app;
	CREATE SCHEMA atlas_schema_revisions;
	CREATE TABLE atlas_schema_revisions.atlas_schema_revisions (version character varying NOT NULL,
		description character varying NOT NULL, type bigint NOT NULL DEFAULT 2,
		applied bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0,
		executed_at timestamptz NOT NULL, execution_time bigint NOT NULL, error text NULL,
		error_stmt text NULL, hash character varying NOT NULL, partial_hashes jsonb NULL,
		operator_version character varying NOT NULL, PRIMARY KEY (version));
	INSERT INTO atlas_schema_revisions.atlas_schema_revisions VALUES
		('.atlas_cloud_identifiers', '', 0, 0, 0, now(), 0, NULL, NULL, '', NULL, 'Atlas CLI'),
		('20240101000000', 'create_users', 1, 0, 0, now(), 0, NULL, NULL, '', NULL, 'Atlas CLI'),
		('20240102000000', 'add_email', 2, 1, 1, now(), 1, NULL, NULL, 'h', NULL, 'Atlas CLI');
	CREATE EXTENSION migrator;
});
($rc, $out, $err) = cli('by_atlas', 'push', "$fixtures/atlas");
is($rc, 0, 'atlas: push') or diag $err;
($rc, $out, $err) = cli('by_atlas', 'adopt', '--from', 'atlas');
is($rc, 0, 'atlas: adopt') or diag $err;
is(states('by_atlas'), '20240101000000=applied,20240102000000=applied,20240103000000=pending',
	'atlas: the baseline and the executed revision are applied');
sql('by_atlas', q{INSERT INTO atlas_schema_revisions.atlas_schema_revisions VALUES
	('20240103000000', 'users_email_idx', 2, 0, 1, now(), 0, 'boom', 'CREATE INDEX', 'h', NULL, 'Atlas CLI')});
($rc, $out, $err) = cli('by_atlas', 'adopt', '--from', 'atlas');
is($rc, 1, 'atlas: a partially applied revision is an error');
like($err, qr/Atlas records version 20240103000000 as partially applied/, 'atlas: the error names it');

$node->stop;
done_testing();
