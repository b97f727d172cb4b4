# The command-line client: help, exit codes, JSON, dry runs, checksum
# conflicts, failures inside a migration, functions the server lacks, and
# the ways to connect.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use JSON::PP;
use File::Copy;
use Cwd ();
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('cli_behaviour', no_extension => 1);
my $fixtures = 'test/fixtures';
my $tmp = PostgreSQL::Test::Utils::tempdir;

# Runs the client with the given arguments (no -d added); returns exit
# code, stdout, stderr.
sub run_cli
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'migrator', @_ ], '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub cli
{
	my ($db, @args) = @_;
	return run_cli('-d', $node->connstr($db), @args);
}

sub sql { $node->safe_psql(@_) }

sub write_file
{
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "cannot write $path: $!";
	print $fh $text;
	close($fh);
}

my ($rc, $out, $err);

# ---- help and usage
($rc, $out) = run_cli('--help');
is($rc, 0, '--help exits 0');
for my $cmd (qw(push status plan apply deploy rollback verify lint check drift adopt))
{
	like($out, qr/^  $cmd +\S/m, "--help lists $cmd");
	my ($crc, $cout) = run_cli($cmd, '--help');
	is($crc, 0, "$cmd --help exits 0");
	like($cout, qr/^Usage: migrator $cmd/, "$cmd --help shows its usage");
}
like($out, qr/^  3  refused by migrator/m, '--help documents the exit codes');
($rc, $out, $err) = run_cli('frobnicate');
is($rc, 2, 'an unknown subcommand is a usage error (exit 2)');
like($err, qr/unknown subcommand "frobnicate"/, 'and says which');
($rc, $out, $err) = run_cli('--format', 'knex', 'push', '.');
is($rc, 2, 'an unknown layout is a usage error');
($rc, $out, $err) = run_cli('rollback', '--steps', '0');
is($rc, 2, '--steps 0 is a usage error');
($rc, $out, $err) = run_cli();
is($rc, 2, 'no subcommand is a usage error');
like($err, qr/^Usage:\n  migrator \[OPTION\]/m, 'and prints the usage on stderr');
# an unknown option: usage on stderr, nothing on stdout, exit 2 (a script
# that passes a misspelt flag must not believe it succeeded)
($rc, $out, $err) = run_cli('push', '--no-such-flag', '.');
is($rc, 2, 'an unknown option is a usage error (exit 2)');
like($err, qr/unrecognized option '--no-such-flag'/, 'it is named');
like($err, qr/^Usage:/m, 'the usage goes to stderr');
is($out, '', 'nothing on stdout');
($rc, $out, $err) = run_cli('-x', 'status');
is($rc, 2, 'an unknown short option is a usage error');
($rc, $out) = run_cli('-?');
is($rc, 0, '-? is the help');
like($out, qr/^Usage:/m, '-? prints the usage on stdout');

# the client carries the extension's version: migrator.control's
# default_version, which CREATE EXTENSION installs
my ($control_version) = slurp_file('migrator.control') =~ /^default_version = '([^']+)'$/m;
($rc, $out) = run_cli('--version');
is($rc, 0, '--version exits 0');
is($out, "migrator $control_version\n", "--version is the extension's default_version ($control_version)");

# the client installs where pg_config --bindir points (make install), and
# says where
{
	my $bindir = `pg_config --bindir`;
	chomp $bindir;
	my $dest = Cwd::abs_path($tmp) . '/destdir';
	my ($mout, $merr) = ('', '');
	IPC::Run::run([ 'make', '-s', '-C', 'cli', 'install', "DESTDIR=$dest" ], '>', \$mout, '2>', \$merr);
	is($? >> 8, 0, 'make -C cli install') or diag $merr;
	ok(-x "$dest$bindir/migrator", 'the client is installed in pg_config --bindir');
	like($mout, qr/^installed the migrator client as \Q$dest$bindir\E\/migrator/m, 'make install says where');
	# without root: the client alone, into a directory the user can write
	my $own = Cwd::abs_path($tmp) . '/own-bin';
	IPC::Run::run([ 'make', '-s', '-C', 'cli', 'install', "bindir=$own" ], '>', \$mout, '2>', \$merr);
	is($? >> 8, 0, 'make -C cli install bindir=DIR') or diag $merr;
	ok(-x "$own/migrator", 'installs the client into DIR');
}

# ---- connecting: conninfo, URI, PG* variables; a failure is exit 1
$node->safe_psql('postgres', 'CREATE DATABASE cli');
$node->safe_psql('cli', 'CREATE EXTENSION migrator; CREATE SCHEMA app');
($rc, $out) = cli('cli', 'status');
is($rc, 0, 'conninfo string with -d');
like($out, qr/^\(0 rows\)$/m, 'status of an empty history');
is(sql('cli', q{SELECT extversion FROM pg_extension WHERE extname = 'migrator'}), $control_version,
	"the client's version is the version CREATE EXTENSION installs");
{
	my $uri = 'postgresql:///cli?host=' . $node->host . '&port=' . $node->port;
	($rc, $out) = run_cli('--dbname', $uri, 'status');
	is($rc, 0, 'URI with --dbname');
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGDATABASE} = 'cli';
	($rc, $out) = run_cli('status');
	is($rc, 0, 'PGHOST, PGPORT and PGDATABASE');
	($rc, $out, $err) = run_cli('-d', 'nosuchdb', 'status');
	is($rc, 1, 'a connection failure is exit 1');
	like($err, qr/could not connect to the database: .*nosuchdb/s, 'and says why');
}

# a deploy role with a password, which the client finds in a .pgpass file
# (PGPASSFILE), never on its command line
$node->safe_psql('cli', q{
	CREATE ROLE deployer LOGIN PASSWORD 'pw-from-pgpass';
	GRANT USAGE ON SCHEMA migrator TO deployer;
	-- EXECUTE is enough: status() reads the table as the extension owner
	GRANT EXECUTE ON FUNCTION migrator.status(), migrator.version_key(text) TO deployer;
});
my $hba = $node->data_dir . '/pg_hba.conf';
my $hba_text = PostgreSQL::Test::Utils::slurp_file($hba);
write_file($hba, "local all deployer scram-sha-256\n" . $hba_text);
$node->reload;
{
	local $ENV{PGPASSFILE} = "$tmp/nopass";
	($rc, $out, $err) = run_cli('-d', $node->connstr('cli') . ' user=deployer', 'status');
	is($rc, 1, 'without a password the deploy role cannot connect');
	like($err, qr/password/, 'libpq says a password is needed');
	write_file("$tmp/pgpass", '*:*:*:deployer:pw-from-pgpass' . "\n");
	chmod 0600, "$tmp/pgpass";
	$ENV{PGPASSFILE} = "$tmp/pgpass";
	($rc, $out, $err) = run_cli('-d', $node->connstr('cli'), '-U', 'deployer', 'status');
	is($rc, 0, 'the password comes from the .pgpass file') or diag $err;
}

$node->safe_psql('postgres', 'CREATE DATABASE noext');
($rc, $out, $err) = cli('noext', 'status');
is($rc, 1, 'a database without the extension is an error');
like($err, qr/CREATE EXTENSION migrator/, 'with a hint to create it');

# ---- push --dry-run: every file is judged, nothing stays
my $dir = "$tmp/gm";
mkdir $dir;
copy($_, $dir) or die "copy $_: $!" for glob("$fixtures/golang-migrate/*");
($rc, $out, $err) = cli('cli', 'push', '--dry-run', $dir);
is($rc, 0, 'push --dry-run');
like($out, qr/^1 +\| create_users/m, 'push --dry-run lists the migrations');
like($err, qr/dry run, nothing was registered/, 'push --dry-run says so');
is(sql('cli', 'SELECT count(*) FROM migrator.migrations'), 0, 'push --dry-run registers nothing');

# a file the server refuses fails the dry run too, naming the file
write_file("$dir/5_bad.up.sql", "CREATE TABLE app.bad (id int;\n");
($rc, $out, $err) = cli('cli', 'push', '--dry-run', $dir);
is($rc, 1, 'a syntax error fails push --dry-run (exit 1)');
like($err, qr/cannot register "[^"]*5_bad\.up\.sql" \(version 5\): ERROR:  syntax error/,
	'the error names the file');
like($err, qr/^LINE 1: CREATE TABLE app\.bad \(id int;\n {36}\^$/m, 'the position is shown as psql shows it');
like($err, qr/^FILE:  [^\n]*5_bad\.up\.sql, line 1$/m, 'with the file and line');
unlink "$dir/5_bad.up.sql";

($rc, $out, $err) = cli('cli', 'push', $dir);
is($rc, 0, 'push');

# ---- apply --dry-run, JSON
($rc, $out, $err) = cli('cli', 'apply', '--dry-run', '--json', '2');
is($rc, 0, 'apply --dry-run');
my $rows = decode_json($out);
is_deeply([ map { $_->{version} } @$rows ], [ '1', '2' ], 'apply --dry-run lists what it would apply');
ok(JSON::PP::is_bool($rows->[0]{transactional}) && $rows->[0]{transactional},
	'JSON booleans are true/false');
is(sql('cli', "SELECT count(*) FROM migrator.migrations WHERE state = 'applied'"), 0,
	'apply --dry-run applies nothing');

($rc, $out, $err) = cli('cli', 'apply', '--json', '-q', '3');
is($rc, 0, 'apply --json');
is($err, '', '--quiet prints no progress');
$rows = decode_json($out);
is_deeply([ map { "$_->{version}:$_->{kind}:$_->{outcome}" } @$rows ],
	[ '1:additive:success', '2:additive:success', '3:additive:success' ], 'apply --json rows');
($rc, $out) = cli('cli', 'status', '--json');
$rows = decode_json($out);
is(ref $rows->[0]{findings}, 'ARRAY', 'jsonb columns are embedded as JSON');
is($rows->[3]{applied_at}, undef, 'NULL is null');

($rc, $out, $err) = cli('cli', 'rollback', '--dry-run', '--steps', '2');
is($rc, 0, 'rollback --dry-run');
like($out, qr/^3 +\|.*\n2 +\|/m, 'rollback --dry-run lists the newest first');
is(sql('cli', "SELECT count(*) FROM migrator.migrations WHERE state = 'applied'"), 3,
	'rollback --dry-run rolls back nothing');
($rc, $out, $err) = cli('cli', 'rollback', '--dry-run', '--to', '1');
is($rc, 0, 'rollback --dry-run --to');
like($out, qr/^3 +\|.*\n2 +\|.*\n\(2 rows\)/m, 'rollback --dry-run --to lists what was applied after the target');
($rc, $out, $err) = cli('cli', 'rollback', '--dry-run', '--to', '4');
is($rc, 3, 'rollback --dry-run --to a version that is not applied is refused, as rollback_to() refuses it');
($rc, $out, $err) = cli('cli', 'apply', '--dry-run', '99');
is($rc, 3, 'apply --dry-run to an unknown target is refused, as apply() refuses it');
like($err, qr/migration "99" is not registered/, 'and says so');

# ---- checksum conflict: an applied migration's file changed
write_file("$dir/2_add_email.up.sql", "ALTER TABLE app.users ADD COLUMN email varchar(200);\n");
write_file("$dir/6_more.up.sql", "CREATE TABLE app.more (id int);\n");
($rc, $out, $err) = cli('cli', 'push', $dir);
is($rc, 3, 'a changed applied migration is a refusal (exit 3)');
like($err, qr/cannot register "[^"]*2_add_email\.up\.sql" \(version 2\): ERROR:  migration "2" is already applied with different content/,
	'the refusal names the file');
like($err, qr/SQLSTATE:  MG002/, 'with its SQLSTATE');
like($err, qr/nothing was registered/, 'and says nothing was registered');
is(sql('cli', "SELECT count(*) FROM migrator.migrations WHERE version = '6'"), 0,
	'the push registered nothing, not even the new file');
copy("$fixtures/golang-migrate/2_add_email.up.sql", $dir) or die;

# ---- an error inside a migration: exit 1, SQLSTATE kept, nothing applied
write_file("$dir/7_fails.up.sql", "INSERT INTO app.more VALUES (1/0);\n");
($rc, $out, $err) = cli('cli', 'push', $dir);
is($rc, 0, 'push with the failing migration');
$node->safe_psql('cli', "SELECT migrator.baseline('4')");
($rc, $out, $err) = cli('cli', 'apply');
is($rc, 1, 'a migration that fails is an error (exit 1)');
like($err, qr/ERROR:  division by zero/, 'the server error is shown');
like($err, qr/CONTEXT:  .*migration 7, up statement 1/s, 'with the context naming the migration');
like($err, qr/SQLSTATE:  22012/, 'and the SQLSTATE of the failing statement');
like($err, qr/^applied 6 \(additive\) \d+ ms$/m, 'the progress line of the migration before it was printed');
is(sql('cli', "SELECT state FROM migrator.migrations WHERE version = '6'"), 'pending',
	'nothing of the run was committed');
is(sql('cli', "SELECT to_regclass('app.more') IS NULL"), 't', 'and its schema change is gone');

# ---- verify failing: exit 5
my $sq = "$tmp/sq";
mkdir $sq;
mkdir "$sq/$_" for qw(deploy verify);
write_file("$sq/sqitch.plan", "%project=v\n\nthing 2024-01-01T00:00:00Z A <a\@example.com>\n");
write_file("$sq/deploy/thing.sql", "CREATE TABLE app.thing (id int);\n");
write_file("$sq/verify/thing.sql", "SELECT count(*) = 1 FROM app.thing;\n");
$node->safe_psql('postgres', 'CREATE DATABASE ver');
$node->safe_psql('ver', 'CREATE EXTENSION migrator; CREATE SCHEMA app');
($rc) = cli('ver', 'push', $sq);
is($rc, 0, 'push a sqitch change with a verify script');
($rc) = cli('ver', 'apply');
is($rc, 0, 'apply it');
($rc, $out) = cli('ver', 'verify');
is($rc, 5, 'a failing verify script makes exit 5');
like($out, qr/^1_thing +\| f +\| verify statement 1 returned false in row 1$/m, 'verify prints the failure');
$node->safe_psql('ver', 'INSERT INTO app.thing VALUES (1)');
($rc, $out) = cli('ver', 'verify', '1_thing');
is($rc, 0, 'verify passes once the check holds');

# ---- functions this server's migrator may lack: exit 4, or they run
for my $f (qw(plan lint check drift deploy))
{
	my $has = sql('ver',
		"SELECT count(*) FROM pg_proc WHERE pronamespace = 'migrator'::regnamespace AND proname = '$f'");
	my @args = $f eq 'lint' ? ("$sq/deploy/thing.sql", $sq) : ();
	($rc, $out, $err) = cli('ver', $f, @args);
	if ($has)
	{
		ok($rc == 0 || $rc == 5, "$f: the server has $f(), the client calls it (exit $rc)");
	}
	else
	{
		is($rc, 4, "$f: the server has no $f(): exit 4");
		like($err, qr/this server's migrator has no $f\(\)/, "$f: the message says so");
	}
}

# a script error on a later line of a dbmate file: the line in the file,
# counted from the top of the file, not of the up section
{
	my $dm = "$tmp/dm_errors";
	mkdir $dm;
	write_file("$dm/1_ok.sql", "-- migrate:up\nCREATE TABLE app.ok (id int);\n");
	write_file("$dm/2_syntax.sql", "-- migrate:up\n-- a comment\nCREATE TABLE app.two (id int);\nCREATE TABLE app.bad (id int,\n\tname text;\n\n-- migrate:down\nDROP TABLE app.bad;\n");
	write_file("$dm/3_concurrently.sql", "-- migrate:up\nCREATE INDEX CONCURRENTLY ok_id ON app.ok (id);\n");
	write_file("$dm/4_drop.sql", "-- migrate:up\nDROP TABLE app.ok;\n");
	write_file("$dm/5_fine.sql", "-- migrate:up\nCREATE TABLE app.fine (id int);\n");
	($rc, $out, $err) = cli('ver', 'push', $dm);
	is($rc, 1, 'push with a syntax error and two refusals: exit 1 (an error before a refusal)');
	like($err, qr/^LINE 4:  name text;\n {18}\^\nFILE:  [^\n]*2_syntax\.sql, line 5$/m,
		'LINE counts the up section, FILE the file; tabs shown as spaces');
	like($err, qr/^HINT:  Mark the migration non-transactional with "-- migrate:up transaction:false", push again, and apply it with "migrator deploy"\.$/m,
		'the hint for a statement that needs autocommit names the marker and the subcommand');
	unlike($err, qr/transactional => false|CALL migrator/, 'no hint speaks to SQL callers');
	like($err, qr/^HINT:  Write the plan in the up script as "-- migrator:plan TEXT" lines \(or pass --plan TEXT[^\n]*a "-- migrate:down" section/m,
		'the hint for an unplanned destructive migration names the plan lines, --plan and where the down script goes');
	my @refused = $err =~ /^migrator: cannot register "[^"]*\/(\S+)"/mg;
	is_deeply(\@refused, [ '2_syntax.sql', '3_concurrently.sql', '4_drop.sql' ], 'every refusal is reported in one push, not only the first');
	like($err, qr/^migrator: 3 of 5 dbmate migrations in \S+ were refused; nothing was registered$/m, 'and counted');
	is(sql('ver', "SELECT count(*) FROM migrator.migrations WHERE version IN ('1', '5')"), 0, 'nothing was registered');
	unlink "$dm/2_syntax.sql";
	($rc, $out, $err) = cli('ver', 'push', $dm);
	is($rc, 3, 'refusals only: exit 3');
}

# status: counts for a person, the findings with --verbose or --json
{
	($rc, $out) = cli('cli', 'status');
	is($rc, 0, 'status');
	my ($header) = split /\n/, $out;
	like($header, qr/^version +\| name +\| kind +\| state +\|.*\| errors +\| warnings +\| infos\b/,
		'status shows the counts of findings');
	unlike($header, qr/checksum|findings/, 'not the findings or checksums');
	($rc, $out) = cli('cli', 'status', '--verbose');
	like((split /\n/, $out)[0], qr/\| checksum +\| findings +\|/, 'status --verbose shows them');
}

# lint FILE of a file with up and down sections: what push sends as up,
# and the down section on rows of its own, which do not make lint fail
{
	my $lf = "$tmp/lint_files";
	mkdir $lf;
	write_file("$lf/1_note.sql", "-- migrate:up\nALTER TABLE app.t ADD COLUMN note text;\n\n-- migrate:down\nALTER TABLE app.t DROP COLUMN note;\n");
	write_file("$lf/2_note.sql", "-- +goose Up\nALTER TABLE app.t ADD COLUMN note text;\n-- +goose Down\nALTER TABLE app.t DROP COLUMN note;\n");
	write_file("$lf/3_drop.sql", "-- migrate:up\nALTER TABLE app.t DROP COLUMN note;\n");
	write_file("$lf/4_plain.sql", "ALTER TABLE app.t DROP COLUMN note;\n");
	for my $f ('1_note.sql', '2_note.sql')
	{
		($rc, $out, $err) = cli('cli', 'lint', '--json', "$lf/$f");
		is($rc, 0, "lint $f: the up section is additive, exit 0") or diag $out . $err;
		my @rows = @{ decode_json($out) };
		is_deeply([ map { "$_->{file}:$_->{rule}:$_->{severity}" } grep { $_->{rule} eq 'drop_column' } @rows ],
			[ "$lf/$f (down):drop_column:error" ], "lint $f: the down section's DROP COLUMN is labelled as the down");
		ok(!grep({ $_->{file} eq "$lf/$f" && $_->{rule} eq 'drop_column' } @rows), "lint $f: not a finding of the up script");
	}
	($rc, $out, $err) = cli('cli', 'lint', "$lf/3_drop.sql");
	is($rc, 5, 'lint: an up section with an error is exit 5');
	like($out, qr/^\Q$lf\E\/3_drop\.sql +\| drop_column +\| error /m, 'under the file name');
	($rc, $out, $err) = cli('cli', 'lint', "$lf/4_plain.sql");
	is($rc, 5, 'lint: a file without sections is one script');
	# lint's hints speak client too: the layout's marker, not transactional => false
	write_file("$lf/6_idx.sql", "-- +goose Up\nCREATE INDEX CONCURRENTLY t_id ON app.t (id);\n");
	write_file("$lf/7_idx.sql", "CREATE INDEX CONCURRENTLY t_id ON app.t (id);\n");
	($rc, $out, $err) = cli('cli', 'lint', '--json', "$lf/6_idx.sql", "$lf/7_idx.sql");
	my %hint = map { $_->{file} =~ s{.*/}{}r => $_->{hint} } grep { $_->{rule} eq 'non_transactional' } @{ decode_json($out) };
	like($hint{'6_idx.sql'}, qr/^Mark the migration non-transactional with a "-- \+goose NO TRANSACTION" line/,
		"lint: a goose file's hint names goose's marker") or diag $out;
	like($hint{'7_idx.sql'}, qr/^Mark the migration non-transactional in its files \(see "migrator push --help"\)/,
		"lint: a file of no known layout points to push's help") or diag $out;
	unlike($out, qr/transactional => false/, 'no lint hint speaks to SQL callers');
	write_file("$lf/5_backwards.sql", "-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 2;\n");
	($rc, $out, $err) = cli('cli', 'lint', "$lf/5_backwards.sql");
	is($rc, 1, 'lint: sections out of order are an error');
	like($err, qr/"-- migrate:down" comes before "-- migrate:up"/, 'as push says it');
}

# exit 4: the server's migrator lacks a function (an older extension)
sql('postgres', 'CREATE DATABASE older');
sql('older', 'CREATE EXTENSION migrator; SET migrator.guard = off; ALTER EXTENSION migrator DROP FUNCTION migrator.drift(); DROP FUNCTION migrator.drift()');
($rc, $out, $err) = cli('older', 'drift');
is($rc, 4, 'a function the server lacks: exit 4');
like($err, qr/this server's migrator has no drift\(\)/, 'and says so');

# exit 5 from drift: a change made outside migrator
($rc, $out, $err) = cli('ver', 'drift');
is($rc, 0, 'drift: no change, exit 0') or diag $out . $err;
sql('ver', 'CREATE TABLE app.outside (id int)');
($rc, $out, $err) = cli('ver', 'drift');
is($rc, 5, 'drift: a change outside migrator, exit 5');
like($out, qr/outside/, 'drift names it');

# push --plan: a history applied before migrator, whose destructive
# migrations name no plan, comes in with the reason on record; without it
# push refuses, naming the file
{
	my $legacy = "$tmp/legacy";
	mkdir $legacy;
	write_file("$legacy/1_create.up.sql", "CREATE TABLE legacy (id int, junk text);\n");
	write_file("$legacy/1_create.down.sql", "DROP TABLE legacy;\n");
	write_file("$legacy/2_drop_junk.up.sql", "ALTER TABLE legacy DROP COLUMN junk;\n");
	write_file("$legacy/2_drop_junk.down.sql", "ALTER TABLE legacy ADD COLUMN junk text;\n");
	sql('postgres', 'CREATE DATABASE legacy');
	sql('legacy', 'CREATE EXTENSION migrator');
	($rc, $out, $err) = cli('legacy', 'push', $legacy);
	is($rc, 3, 'push refuses a destructive migration without a plan');
	like($err, qr/2_drop_junk\.up\.sql.*needs a plan/s, 'naming the file and what is missing');
	($rc, $out, $err) = cli('legacy', 'push', '--plan', 'applied before migrator', $legacy);
	is($rc, 0, 'push --plan registers it');
	is(sql('legacy', q{SELECT string_agg(version || ':' || coalesce(plan, '-'), ',' ORDER BY version) FROM migrator.migrations}),
		'1:applied before migrator,2:applied before migrator', 'with the plan on record');
}

$node->stop;
done_testing();
