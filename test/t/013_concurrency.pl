# Eight sessions call register() and apply() at once on the same history:
# every migration is applied exactly once, no deadlock, and the event log has
# one success row per migration.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('concurrency', conf => "log_lock_waits = on\ndeadlock_timeout = '100ms'\n");
my $n = 40;
my $sessions = 8;

# Every session registers the same 40 migrations (same content, so all but
# the first registration are no-ops) and applies them every fourth
# registration: half of the sessions with apply(), half with deploy().
# Each migration appends its version to a log table, so a second execution
# would show.
$node->safe_psql('postgres', 'CREATE TABLE applied_log (version int)');
my %script;
for my $how ('apply', 'deploy')
{
	for my $i (1 .. $n)
	{
		$script{$how} .= "SELECT 1 FROM migrator.register('$i', 'CREATE TABLE t$i (id int); INSERT INTO applied_log VALUES ($i)', 'DROP TABLE t$i');\n";
		next unless $i % 4 == 0;
		$script{$how} .= $how eq 'apply'
		  ? "SELECT count(*) FROM migrator.apply();\n"
		  : "CALL migrator.deploy(lock_timeout => '5s');\n";
	}
}

my @bg;
for my $s (1 .. $sessions)
{
	my $h = $node->background_psql('postgres', on_error_stop => 1);
	push @bg, $h;
}
# Start all at once, then wait for each to finish.
my $k = 0;
for my $h (@bg)
{
	my $how = $k++ % 2 ? 'deploy' : 'apply';
	$h->query_until(qr/go/, "\\echo go\n$script{$how}\n\\echo done\n");
}
for my $h (@bg)
{
	$h->query_until(qr/done/, '');
}
my $errors = join('', map { $_->{stderr} } @bg);
$_->quit for @bg;

unlike($errors, qr/ERROR|deadlock/, 'no session saw an error or a deadlock');
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT version) FROM applied_log'),
	"$n|$n", 'every migration ran exactly once');
is($node->safe_psql('postgres', q{SELECT count(*) FROM migrator.status() WHERE state = 'applied'}),
	$n, 'every migration is recorded as applied');
is($node->safe_psql('postgres',
		q{SELECT count(*), count(DISTINCT version) FROM migrator.events WHERE action = 'apply' AND outcome = 'success'}),
	"$n|$n", 'one success event per migration');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM migrator.events WHERE action = 'register'}),
	$n, 'one register event per migration: re-registrations were no-ops');
unlike(slurp_file($node->logfile), qr/deadlock detected/, 'no deadlock in the server log');

$node->stop;
done_testing();
