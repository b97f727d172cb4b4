# migrator fleet: one migration directory deployed to many databases, each
# with its own history; one database fails half-way and a rerun completes
# the fleet; canaries, the stop and continue policies, parallel jobs, the
# ways to name databases, status/drift/verify across the fleet, and exit
# codes from the worst database.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use JSON::PP;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('cli_fleet', no_extension => 1);
my $tmp = PostgreSQL::Test::Utils::tempdir;

sub sql { $node->safe_psql(@_) }

# Runs the client with the server's connection options; returns exit
# code, stdout, stderr.
sub cli
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'migrator', '-h', $node->host, '-p', $node->port, @_ ],
		'>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub write_file
{
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "cannot write $path: $!";
	print $fh $text;
	close($fh);
}

# database => row of the final --json table
sub rows_of
{
	my ($json) = @_;
	return { map { $_->{database} => $_ } @{ decode_json($json) } };
}

sub states
{
	my ($db) = @_;
	return sql($db, "SELECT string_agg(version || '=' || state, ',' ORDER BY migrator.version_key(version)) FROM migrator.migrations");
}

# six tenants, and one database that is not a tenant
my @tenants = map { "tenant_$_" } 1 .. 6;
for my $db (@tenants, 'billing')
{
	sql('postgres', "CREATE DATABASE $db");
	sql($db, 'CREATE EXTENSION migrator; CREATE SCHEMA app');
}

my $dir = "$tmp/migrations";
mkdir $dir;
write_file("$dir/1_accounts.up.sql", "CREATE TABLE app.accounts (id bigint PRIMARY KEY);\n");
write_file("$dir/2_invoices.up.sql", "CREATE TABLE app.invoices (id bigint PRIMARY KEY, account_id bigint REFERENCES app.accounts);\n");
write_file("$dir/3_invoice_total.up.sql", "ALTER TABLE app.invoices ADD COLUMN total numeric;\n");

# tenant_4 already has a table in the way of migration 2: it fails half-way
sql('tenant_4', 'CREATE TABLE app.invoices (id int)');

my ($rc, $out, $err);

# ---- --match: every tenant of the server, three at a time, continue on failure
($rc, $out, $err) = cli('fleet', 'deploy', '--match', 'tenant_*', '--jobs', '3',
	'--on-failure', 'continue', '--json', $dir);
is($rc, 1, 'one database failed with an SQL error: exit 1');
my $rows = rows_of($out);
is_deeply([ sort keys %$rows ], \@tenants, '--match took every tenant and nothing else');
for my $db (grep { $_ ne 'tenant_4' } @tenants)
{
	is("$rows->{$db}{result}:$rows->{$db}{applied}:$rows->{$db}{skipped}:$rows->{$db}{failed}:$rows->{$db}{pending}",
		'deployed:3:0:0:0', "$db: three migrations deployed");
}
is("$rows->{tenant_4}{result}:$rows->{tenant_4}{applied}:$rows->{tenant_4}{failed}:$rows->{tenant_4}{pending}",
	'failed:1:1:2', 'tenant_4: failed half-way, after one migration, with two pending');
like($rows->{tenant_4}{error}, qr/relation "invoices" already exists/, 'tenant_4: the error is in the table');
like($err, qr/^\[\d\/6\] tenant_4: FAILED after deploying 1 migration \(\d+ ms\): .*already exists/m,
	'a progress line per database, the failure with its error');
like($err, qr/^    tenant_4: migration 2, up statement 1: CREATE TABLE app\.invoices/m, 'the whole report of the failed database, under its name');
is(scalar(() = $err =~ /^\[\d\/6\] /mg), 6, 'one progress line per database');
like($err, qr/^fleet deploy: 6 databases: 5 ok, 0 with problems, 1 failed, 0 not run \(\d+ ms\)$/m, 'a summary line');
is(states('tenant_4'), '1=applied,2=pending,3=pending', 'tenant_4 keeps what it applied');
is(sql('billing', 'SELECT count(*) FROM migrator.migrations'), 0, 'a database the pattern does not match is untouched');

# ---- status across the fleet: who is behind
($rc, $out, $err) = cli('fleet', 'status', '--match', 'tenant_*', '--json');
is($rc, 0, 'fleet status');
$rows = rows_of($out);
is("$rows->{tenant_4}{result}:$rows->{tenant_4}{applied}:$rows->{tenant_4}{pending}:$rows->{tenant_4}{behind}:$rows->{tenant_4}{latest}",
	'behind:1:2:2:1', 'tenant_4 is behind the others by two migrations');
is("$rows->{tenant_1}{result}:$rows->{tenant_1}{behind}:$rows->{tenant_1}{latest}", 'current:0:3', 'tenant_1 is current');
($rc, $out, $err) = cli('fleet', 'status', '--match', 'tenant_*', '--dir', $dir, '--json');
$rows = rows_of($out);
is($rows->{tenant_4}{behind}, 2, 'status --dir: behind the directory by two');
($rc, $out, $err) = cli('fleet', 'status', '--match', 'tenant_*');
like($out, qr/^tenant_4 +\| behind +\| +1 \| +2 \| +2 \| 1 +\|/m, 'the status table');

# ---- the rerun completes the fleet: only what is missing runs
sql('tenant_4', 'SET migrator.guard = off; DROP TABLE app.invoices');
($rc, $out, $err) = cli('fleet', 'deploy', '--match', 'tenant_*', '--jobs', '2', '--json', $dir);
is($rc, 0, 'the rerun succeeds') or diag $err;
$rows = rows_of($out);
is("$rows->{tenant_4}{applied}:$rows->{tenant_4}{skipped}:$rows->{tenant_4}{pending}", '2:1:0',
	'tenant_4: the two missing migrations ran, the applied one was skipped');
is("$rows->{tenant_2}{applied}:$rows->{tenant_2}{skipped}", '0:3', 'tenant_2: nothing to do');
is(states($_), '1=applied,2=applied,3=applied', "$_ is complete") for @tenants;
is(sql('tenant_4', "SELECT count(*) FROM information_schema.columns WHERE table_name = 'invoices' AND column_name = 'total'"),
	1, 'tenant_4 has the schema of the others');

# ---- a new migration, a canary that fails: nobody else is touched
write_file("$dir/4_invoice_due.up.sql", "ALTER TABLE app.invoices ADD COLUMN due date;\n");
sql('tenant_2', "ALTER TABLE app.invoices ADD COLUMN due date");
($rc, $out, $err) = cli('fleet', 'deploy', '--match', 'tenant_*', '--canary', '2', '--jobs', '4',
	'--on-failure', 'continue', '--json', $dir);
is($rc, 1, 'a failing canary: exit 1');
$rows = rows_of($out);
is($rows->{tenant_2}{result}, 'failed', 'the canary tenant_2 failed');
is($rows->{tenant_1}{result}, 'deployed', 'the other canary deployed');
is(join(',', map { $rows->{$_}{result} } qw(tenant_3 tenant_4 tenant_5 tenant_6)), 'not run,not run,not run,not run',
	'no database after the canaries was touched, even with --on-failure continue');
like($err, qr/a canary database failed; the other 4 databases were not touched/, 'and the client says so');
is(states('tenant_3'), '1=applied,2=applied,3=applied', 'tenant_3 has not even registered migration 4');

# ---- --on-failure stop, one at a time: no database after the failure starts
sql('tenant_2', 'SET migrator.guard = off; ALTER TABLE app.invoices DROP COLUMN due');
sql('tenant_5', "ALTER TABLE app.invoices ADD COLUMN due date");
($rc, $out, $err) = cli('fleet', 'deploy', '--match', 'tenant_*', '--json', $dir);
is($rc, 1, 'stop policy: exit 1');
$rows = rows_of($out);
is(join(',', map { $rows->{$_}{result} } @tenants), 'deployed,deployed,deployed,deployed,failed,not run',
	'databases run in order; after tenant_5 failed, tenant_6 did not start');

# ---- named databases: arguments, --database and a file
sql('tenant_5', 'SET migrator.guard = off; ALTER TABLE app.invoices DROP COLUMN due');
my $targets = "$tmp/targets";
write_file($targets, "# tenants of region 2\n\n" . join("\n", map { $node->connstr($_) } qw(tenant_5 tenant_6)) . "\n");
($rc, $out, $err) = cli('fleet', 'deploy', '--databases', $targets, '--json', $dir);
is($rc, 0, '--databases FILE') or diag $err;
$rows = rows_of($out);
is(join(',', sort keys %$rows), 'tenant_5,tenant_6', 'the file names two databases (labels without the connection details)');
is(join(',', map { "$rows->{$_}{applied}:$rows->{$_}{skipped}" } qw(tenant_5 tenant_6)), '1:3,1:3', 'each got the new migration');
($rc, $out, $err) = cli('fleet', 'status', '--database', $node->connstr('tenant_1'), $node->connstr('billing'), '--json');
is($rc, 0, '--database and an argument');
$rows = rows_of($out);
is(join(',', map { "$_=$rows->{$_}{applied}" } sort keys %$rows), 'billing=0,tenant_1=4', 'both were read');

# ---- drift and verify across the fleet; exit 5 from the worst database
($rc, $out, $err) = cli('fleet', 'drift', '--match', 'tenant_*', '--json');
is($rc, 0, 'drift: no database changed outside migrator') or diag $out;
sql('tenant_3', 'CREATE TABLE app.scratch (id int)');
($rc, $out, $err) = cli('fleet', 'drift', '--match', 'tenant_*', '--json');
is($rc, 5, 'drift: a change outside migrator is exit 5');
$rows = rows_of($out);
is($rows->{tenant_3}{result}, 'drifted', 'tenant_3 drifted');
ok($rows->{tenant_3}{problems} >= 1, 'with its number of changes');
is($rows->{tenant_6}{result}, 'no drift', 'tenant_6 did not');
($rc, $out, $err) = cli('fleet', 'verify', '--match', 'tenant_*');
is($rc, 0, 'verify: every database verifies') or diag $out . $err;
like($out, qr/^tenant_1 +\| verified +\| +0 \|/m, 'the verify table');

# ---- dry run: nothing changes anywhere
write_file("$dir/5_invoice_note.up.sql", "ALTER TABLE app.invoices ADD COLUMN note text;\n");
($rc, $out, $err) = cli('fleet', 'deploy', '--dry-run', '--match', 'tenant_*', '--jobs', '3', '--json', $dir);
is($rc, 0, 'deploy --dry-run');
$rows = rows_of($out);
is(join(',', map { "$rows->{$_}{result}:$rows->{$_}{pending}" } @tenants),
	join(',', ('checked:1') x 6), 'dry run: every database would deploy one migration');
is(sql('tenant_1', "SELECT count(*) FROM migrator.migrations WHERE version = '5'"), 0, 'dry run: nothing registered');

# ---- a database that cannot be reached, and the command line
($rc, $out, $err) = cli('fleet', 'status', 'dbname=no_such_db', $node->connstr('tenant_1'), '--json');
is($rc, 1, 'an unreachable database: exit 1');
$rows = rows_of($out);
like($rows->{no_such_db}{error}, qr/could not connect to the database: .*no_such_db/s, 'its error is in the table');
is($rows->{tenant_1}{result}, 'current', 'the other database was read: read-only subcommands continue after a failure');
($rc, $out, $err) = cli('fleet', 'deploy', '--match', 'tenant_*');
is($rc, 2, 'fleet deploy without a directory: exit 2');
($rc, $out, $err) = cli('fleet', 'status');
is($rc, 2, 'no databases: exit 2');
like($err, qr/no databases: name them with --database/, 'and says how to name them');
($rc, $out, $err) = cli('fleet', 'rollback', '--match', 'tenant_*');
is($rc, 2, 'an unknown fleet subcommand: exit 2');
($rc, $out, $err) = cli('fleet', 'deploy', '--on-failure', 'retry', '--match', 'tenant_*', $dir);
is($rc, 2, 'an unknown policy: exit 2');
($rc, $out, $err) = cli('fleet', 'deploy', '--jobs', '0', '--match', 'tenant_*', $dir);
is($rc, 2, '--jobs 0: exit 2');
($rc, $out, $err) = cli('fleet', 'status', '--match', 'nothing_*');
is($rc, 1, 'a pattern that matches nothing: exit 1');

$node->stop;
done_testing();
