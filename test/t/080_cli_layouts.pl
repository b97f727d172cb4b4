# migrator push + apply for each layout the command-line client reads:
# golang-migrate/ory, dbmate, goose, Flyway, Sqitch, Liquibase formatted
# SQL, Prisma, Drizzle, Atlas and Supabase (fixtures in test/fixtures).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use JSON::PP;
use File::Copy;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('cli_layouts', no_extension => 1);
my $fixtures = 'test/fixtures';

# Runs the client against database $db; returns exit code, stdout, stderr.
sub cli
{
	my ($db, @args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'migrator', '-d', $node->connstr($db), @args ],
		'>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub new_db
{
	my ($db) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION migrator; CREATE SCHEMA app');
}

# version => state, from status --json
sub states
{
	my ($db) = @_;
	my ($rc, $out) = cli($db, 'status', '--json');
	die "status failed" if $rc;
	return { map { $_->{version} => $_->{state} } @{ decode_json($out) } };
}

sub sql { $node->safe_psql(@_) }

sub count_matches
{
	my ($text, $re) = @_;
	my @m = $text =~ /$re/g;
	return scalar @m;
}

my ($rc, $out, $err);

# ---- golang-migrate / ory
new_db('gm');
($rc, $out, $err) = cli('gm', 'push', "$fixtures/golang-migrate");
is($rc, 0, 'golang-migrate: push succeeds');
is(count_matches($out, qr/\| new +\|/), 4, 'golang-migrate: four migrations are new');
like($err, qr/^pushed 4 golang-migrate migrations from \S+: 4 new, 0 replaced, 0 unchanged \(\d+ ms\)$/m,
	'golang-migrate: layout detected and summarised');
is(sql('gm', "SELECT string_agg(version || ':' || transactional, ',' ORDER BY version) FROM migrator.migrations"),
	'1:true,2:true,3:true,4:false', '".autocommit." makes migration 4 non-transactional');
like(sql('gm', "SELECT up FROM migrator.migrations WHERE version = '3'"), qr/postgres dialect/,
	"ory: the .postgres. file is used, the .mysql. one is not");
unlike(sql('gm', "SELECT up || down FROM migrator.migrations WHERE version = '1'"), qr/^\s*(BEGIN|COMMIT);/mi,
	'the BEGIN/COMMIT wrapper is removed from up and down');
is(sql('gm', "SELECT name FROM migrator.migrations WHERE version = '4'"), 'users_email_idx',
	'the name is taken from the file name without markers');

($rc, $out, $err) = cli('gm', 'push', "$fixtures/golang-migrate");
is($rc, 0, 'golang-migrate: a second push succeeds');
is(count_matches($out, qr/\| unchanged \|/), 4, 'golang-migrate: a second push changes nothing');
is(sql('gm', "SELECT count(*) FROM migrator.events WHERE action = 'register'"), 4,
	'a second push writes no events');

($rc, $out, $err) = cli('gm', 'apply', '3');
is($rc, 0, 'golang-migrate: apply up to 3');
like($err, qr/^applied 1 \(additive\) \d+ ms\napplied 2 \(additive\) \d+ ms\napplied 3 \(additive\) \d+ ms\napplied 3 migrations in \d+ ms$/m,
	'one progress line per migration, in version order');
is(sql('gm', 'SELECT name FROM app.users'), 'postgres dialect', 'the migrations ran');
($rc, $out, $err) = cli('gm', 'apply');
is($rc, 3, 'apply of a non-transactional migration is a refusal (exit 3)');
like($err, qr/SQLSTATE:  MG005/, 'the refusal shows its SQLSTATE');
like($err, qr/^HINT:  Apply it with "migrator deploy"/m, 'the refusal points to "migrator deploy", not to the SQL procedure');
is(states('gm')->{4}, 'pending', 'migration 4 stays pending');

($rc, $out, $err) = cli('gm', 'rollback');
is($rc, 0, 'rollback of one migration');
like($err, qr/^rolled back 3 \(additive\) \d+ ms$/m, 'rollback prints a progress line');
($rc, $out, $err) = cli('gm', 'rollback', '--to', '1');
is($rc, 0, 'rollback --to 1');
is(join(',', map { "$_=" . states('gm')->{$_} } 1 .. 3), '1=applied,2=pending,3=pending',
	'rollback --to keeps its target applied');
is(sql('gm', "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'"),
	0, 'the down scripts ran');

# ---- dbmate
new_db('dbm');
($rc, $out, $err) = cli('dbm', 'push', "$fixtures/dbmate");
is($rc, 0, 'dbmate: push succeeds');
like($err, qr/pushed 4 dbmate migrations/, 'dbmate: layout detected');
is(sql('dbm', "SELECT string_agg(version || ':' || kind || ':' || transactional, ',' ORDER BY version) FROM migrator.migrations"),
	'20240101000000:additive:true,20240102000000:staged:true,20240103000000:additive:false,20240104000000:destructive:true',
	'dbmate: kinds, and "transaction:false" makes a migration non-transactional');
like(sql('dbm', "SELECT plan FROM migrator.migrations WHERE version = '20240104000000'"),
	qr/^contract step: nothing has read legacy_code since release 12;\nthe down script restores the column \(empty\)\.$/,
	'"-- migrator:plan" lines become the plan a destructive migration needs');
is(sql('dbm', "SELECT down FROM migrator.migrations WHERE version = '20240102000000'"),
	"ALTER TABLE app.users DROP COLUMN email;\n", 'dbmate: the down section is the down script');
unlike(sql('dbm', "SELECT up FROM migrator.migrations WHERE version = '20240102000000'"),
	qr/migrate:/, 'dbmate: the up section holds no markers');
($rc, $out, $err) = cli('dbm', '--target', '20240102000000', 'apply');
is($rc, 0, 'dbmate: apply --target');
is(sql('dbm', "SELECT string_agg(version, ',' ORDER BY version) FROM migrator.status() WHERE state = 'applied'"),
	'20240101000000,20240102000000', 'dbmate: applied up to the target');
is(sql('dbm', "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'"),
	1, 'dbmate: the migrations ran');

# ---- Flyway
new_db('fw');
($rc, $out, $err) = cli('fw', 'push', "$fixtures/flyway");
is($rc, 0, 'flyway: push succeeds');
like($err, qr/skipping repeatable migration "R__users_view.sql": not supported/,
	'flyway: a repeatable migration is skipped with a message');
is(sql('fw', "SELECT string_agg(version || ':' || name || ':' || transactional || ':' || (down IS NOT NULL), ',' ORDER BY migrator.version_key(version))"
	  . " FROM migrator.migrations"),
	'1:create users:true:true,1.1:add email:true:true,2:orders:true:false,3:orders user idx:false:false',
	'flyway: "_" in a version reads as ".", U files are down scripts, executeInTransaction=false is read');
($rc, $out, $err) = cli('fw', 'apply', '2');
is($rc, 0, 'flyway: apply up to 2');
like($err, qr/^applied 1 .*\napplied 1\.1 .*\napplied 2 /m, 'flyway: natural version order');
is(sql('fw', "SELECT count(*) FROM pg_tables WHERE schemaname = 'app'"), 2, 'flyway: the migrations ran');
($rc, $out, $err) = cli('fw', 'rollback', '--steps', '2');
is($rc, 3, 'flyway: rolling back a migration without undo script is refused');
like($err, qr/migration "2" has no down script/, 'flyway: the refusal names the migration');
is(states('fw')->{'1.1'}, 'applied', 'flyway: nothing was rolled back');

# ---- Sqitch
new_db('sq');
($rc, $out, $err) = cli('sq', 'push', "$fixtures/sqitch");
is($rc, 0, 'sqitch: push succeeds');
is(sql('sq', "SELECT string_agg(version || ':' || name, ',' ORDER BY migrator.version_key(version)) FROM migrator.migrations"),
	'1_appschema:appschema,2_users:users,3_flips:flips', 'sqitch: plan order becomes version order');
is(sql('sq', "SELECT plan FROM migrator.migrations WHERE version = '3_flips'"),
	'sqitch requires: appschema, users', 'sqitch: dependencies are recorded in the plan text');
unlike(sql('sq', "SELECT verify FROM migrator.migrations WHERE version = '2_users'"), qr/^\s*(BEGIN|ROLLBACK);/mi,
	'sqitch: the verify script loses its BEGIN/ROLLBACK wrapper');
($rc, $out, $err) = cli('sq', 'apply');
is($rc, 0, 'sqitch: apply');
is(sql('sq', "SELECT count(*) FROM pg_tables WHERE schemaname = 'flipr'"), 2, 'sqitch: the changes ran');
($rc, $out, $err) = cli('sq', 'verify');
is($rc, 0, 'sqitch: verify passes');
is(count_matches($out, qr/verify script passed/), 3, 'sqitch: every verify script ran');

# a dependency on a later change is refused before anything is registered
my $tmp = PostgreSQL::Test::Utils::tempdir;
mkdir "$tmp/sq_bad";
mkdir "$tmp/sq_bad/deploy";
PostgreSQL::Test::Utils::append_to_file("$tmp/sq_bad/sqitch.plan",
	"%project=bad\n\na [b] 2024-01-01T00:00:00Z A <a\@example.com>\nb 2024-01-01T00:00:00Z A <a\@example.com>\n");
PostgreSQL::Test::Utils::append_to_file("$tmp/sq_bad/deploy/$_.sql", "SELECT 1;\n") for qw(a b);
($rc, $out, $err) = cli('sq', 'push', "$tmp/sq_bad");
is($rc, 1, 'sqitch: a dependency on a later change is an error');
like($err, qr/line 3: change "a" requires "b", which does not come before it in the plan/,
	'sqitch: the error names the plan line and both changes');

# --format overrides detection
mkdir "$tmp/mixed";
PostgreSQL::Test::Utils::append_to_file("$tmp/mixed/1_a.up.sql", "CREATE TABLE app.mixed_a (id int);\n");
PostgreSQL::Test::Utils::append_to_file("$tmp/mixed/V2__b.sql", "CREATE TABLE app.mixed_b (id int);\n");
($rc, $out, $err) = cli('sq', 'push', "$tmp/mixed");
is($rc, 1, 'a directory with two layouts is an error');
like($err, qr/holds files of more than one layout \(golang-migrate, flyway\); choose one with --format/,
	'the error names the layouts');
($rc, $out, $err) = cli('sq', 'push', '--format', 'flyway', "$tmp/mixed");
is($rc, 0, '--format chooses the layout');
is(sql('sq', "SELECT version FROM migrator.migrations WHERE name = 'b'"), '2', '--format flyway reads V2__b.sql only');

# two up files for one version: refused, naming both
mkdir "$tmp/dup";
PostgreSQL::Test::Utils::append_to_file("$tmp/dup/$_", "SELECT 1;\n") for qw(1_a.up.sql 1_b.up.sql);
($rc, $out, $err) = cli('sq', 'push', "$tmp/dup");
is($rc, 1, 'two up files for one version are an error');
like($err, qr/two up files for version 1: "1_a\.up\.sql" and "1_b\.up\.sql"/, 'the error names both files');

# ---- goose
new_db('goose');
($rc, $out, $err) = cli('goose', 'push', "$fixtures/goose");
is($rc, 0, 'goose: push succeeds') or diag $err;
like($err, qr/pushed 4 goose migrations/, 'goose: layout detected');
is(sql('goose', "SELECT string_agg(version || ':' || name || ':' || kind || ':' || transactional, ',' ORDER BY migrator.version_key(version)) FROM migrator.migrations"),
	'1:create_users:additive:true,2:add_email:additive:true,3:users_email_idx:additive:false,4:drop_legacy_code:destructive:true',
	'goose: versions as goose_db_version records them (no leading zeros), "NO TRANSACTION" read, plans read');
like(sql('goose', "SELECT up FROM migrator.migrations WHERE version = '2'"),
	qr/^-- \+goose StatementBegin\nCREATE FUNCTION app\.email_domain/m, 'goose: StatementBegin lines stay in the script, as comments');
unlike(sql('goose', "SELECT up FROM migrator.migrations WHERE version = '2'"), qr/\+goose Down|DROP FUNCTION/,
	'goose: the up section ends at "-- +goose Down"');
like(sql('goose', "SELECT down FROM migrator.migrations WHERE version = '2'"), qr/DROP FUNCTION app\.email_domain\(text\);\n-- \+goose StatementEnd\nALTER TABLE app\.users DROP COLUMN email;/,
	'goose: the down section is the down script');
($rc, $out, $err) = cli('goose', 'apply', '2');
is($rc, 0, 'goose: apply up to 2') or diag $err;
is(sql('goose', "SELECT app.email_domain('a\@example.com')"), 'example.com', 'goose: the function of a StatementBegin block was created');
($rc, $out, $err) = cli('goose', 'rollback');
is($rc, 0, 'goose: rollback runs the down section') or diag $err;
is(sql('goose', "SELECT to_regprocedure('app.email_domain(text)') IS NULL"), 't', 'goose: the function is gone');

# ---- Liquibase formatted SQL
new_db('lb');
($rc, $out, $err) = cli('lb', 'push', "$fixtures/liquibase");
is($rc, 0, 'liquibase: push succeeds') or diag $err;
like($err, qr/pushed 4 liquibase migrations/, 'liquibase: layout detected');
like($err, qr/skipping changeset bob:4 of "[^"]*changelog\.sql": not for PostgreSQL \(dbms\)/,
	'liquibase: a changeset for another database is skipped with a message');
is(sql('lb', "SELECT string_agg(version || ':' || name || ':' || kind || ':' || transactional, ',' ORDER BY migrator.version_key(version)) FROM migrator.migrations"),
	'1_1:1:additive:true,2_2:2:additive:true,3_3:3:additive:false,4_5:5:destructive:true',
	'liquibase: one migration per changeset in changelog order, runInTransaction:false read');
is(sql('lb', "SELECT down FROM migrator.migrations WHERE version = '1_1'"), "DROP TABLE app.users;\n",
	'liquibase: "--rollback" lines are the down script');
like(sql('lb', "SELECT down FROM migrator.migrations WHERE version = '4_5'"), qr/^\s*ALTER TABLE app\.users ADD COLUMN legacy_code text;\s*$/,
	'liquibase: a "liquibase rollback" comment block is the down script');
unlike(sql('lb', "SELECT up FROM migrator.migrations WHERE version = '2_2'"), qr/changeset|CREATE INDEX/,
	'liquibase: a changeset ends where the next begins');
($rc, $out, $err) = cli('lb', 'apply', '2_2');
is($rc, 0, 'liquibase: apply up to 2_2') or diag $err;
is(sql('lb', "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'"),
	1, 'liquibase: the changesets ran');

# ---- Prisma
new_db('prisma');
($rc, $out, $err) = cli('prisma', 'push', "$fixtures/prisma");
is($rc, 0, 'prisma: push succeeds') or diag $err;
like($err, qr/pushed 3 prisma migrations/, 'prisma: layout detected');
is(sql('prisma', "SELECT string_agg(version || ':' || name || ':' || (down IS NOT NULL), ',' ORDER BY version) FROM migrator.migrations"),
	'20240101000000:init:false,20240102000000:add_posts:false,20240103000000:add_published:true',
	'prisma: one migration per directory, down.sql where there is one');
($rc, $out, $err) = cli('prisma', 'apply');
is($rc, 0, 'prisma: apply') or diag $err;
is(sql('prisma', "SELECT count(*) FROM information_schema.columns WHERE table_name = 'posts'"), 4, 'prisma: the migrations ran');

# ---- Drizzle
new_db('drizzle');
($rc, $out, $err) = cli('drizzle', 'push', "$fixtures/drizzle");
is($rc, 0, 'drizzle: push succeeds') or diag $err;
like($err, qr/pushed 3 drizzle migrations/, 'drizzle: layout detected');
is(sql('drizzle', "SELECT string_agg(version || ':' || name, ',' ORDER BY migrator.version_key(version)) FROM migrator.migrations"),
	'0000:stormy_users,0001:lucky_posts,0002:quiet_published', 'drizzle: the journal lists the migrations');
like(sql('drizzle', "SELECT up FROM migrator.migrations WHERE version = '0000'"), qr/^--> statement-breakpoint$/m,
	'drizzle: statement breakpoints stay, as comments');
($rc, $out, $err) = cli('drizzle', 'apply');
is($rc, 0, 'drizzle: apply') or diag $err;
is(sql('drizzle', "SELECT count(*) FROM pg_constraint WHERE conname = 'posts_author_id_users_id_fk'"), 1, 'drizzle: the migrations ran');
{
	my $bad = "$tmp/drizzle_bad";
	mkdir $bad;
	mkdir "$bad/meta";
	PostgreSQL::Test::Utils::append_to_file("$bad/meta/_journal.json", '{"dialect": "postgresql", "entries": [{"idx": 0, "when": 1, "tag": "0000_x"},]}');
	($rc, $out, $err) = cli('drizzle', 'push', $bad);
	is($rc, 1, 'drizzle: a journal that is not JSON is an error');
	like($err, qr/_journal\.json is not valid JSON: unexpected character at offset 77/, 'drizzle: the error says where');
}

# ---- Atlas
new_db('atlas');
($rc, $out, $err) = cli('atlas', 'push', "$fixtures/atlas");
is($rc, 0, 'atlas: push succeeds') or diag $err;
like($err, qr/pushed 3 atlas migrations/, 'atlas: layout detected from atlas.sum');
is(sql('atlas', "SELECT string_agg(version || ':' || name || ':' || transactional, ',' ORDER BY version) FROM migrator.migrations"),
	'20240101000000:create_users:true,20240102000000:add_email:true,20240103000000:users_email_idx:false',
	'atlas: the files atlas.sum lists; "-- atlas:txmode none" makes a migration non-transactional');
{
	my $unlisted = "$tmp/atlas_unlisted";
	mkdir $unlisted;
	copy($_, $unlisted) or die for glob("$fixtures/atlas/*");
	PostgreSQL::Test::Utils::append_to_file("$unlisted/20240104000000_more.sql", "CREATE TABLE app.more (id int);\n");
	($rc, $out, $err) = cli('atlas', 'push', $unlisted);
	is($rc, 1, 'atlas: a file atlas.sum does not list is an error');
	like($err, qr/"20240104000000_more\.sql" is not listed in .*atlas\.sum; run "atlas migrate hash"/, 'atlas: the error says what to do');
}

# ---- Supabase: the project directory or its supabase/migrations
new_db('supa');
($rc, $out, $err) = cli('supa', 'push', "$fixtures/supabase");
is($rc, 0, 'supabase: push of the project directory succeeds') or diag $err;
like($err, qr/pushed 3 supabase migrations from \S+: 3 new/, 'supabase: layout detected');
($rc, $out, $err) = cli('supa', 'push', "$fixtures/supabase/supabase/migrations");
is($rc, 0, 'supabase: push of supabase/migrations itself');
like($err, qr/pushed 3 supabase migrations from \S+: 0 new, 0 replaced, 3 unchanged/, 'supabase: the same migrations');
is(sql('supa', "SELECT string_agg(version || ':' || name, ',' ORDER BY version) FROM migrator.migrations"),
	'20240101000000:create_profiles,20240102000000:add_avatar,20240103000000:profiles_rls', 'supabase: versions are the timestamps');
($rc, $out, $err) = cli('supa', 'apply');
is($rc, 0, 'supabase: apply') or diag $err;
is(sql('supa', "SELECT count(*) FROM pg_policies WHERE tablename = 'profiles'"), 1, 'supabase: the migrations ran');

$node->stop;
done_testing();
