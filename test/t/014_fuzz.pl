# A bounded fuzz pass: statements from the regression suite, mutated with a
# fixed seed, are fed to register() (and lint() when the server has it).
# Every input must end in a result or a clean error: the server log must show
# no crashed backend, and the server must still answer.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('fuzz');
my $iterations = $ENV{MIGRATOR_FUZZ_ITERATIONS} // 15000;
srand(20261129);

# Seeds: every statement quoted in the regression tests, plus a few shapes.
my @seeds = (
	'CREATE TABLE t (id int PRIMARY KEY, v text DEFAULT now()::text)',
	'ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0, DROP COLUMN v CASCADE',
	'CREATE INDEX CONCURRENTLY i ON t USING btree (lower(v)) WHERE id > 0',
	q{DO $$BEGIN EXECUTE 'DROP TABLE t'; END$$},
	'WITH d AS (DELETE FROM t RETURNING *) INSERT INTO u SELECT * FROM d',
	'ALTER TABLE t ALTER COLUMN id TYPE bigint USING id::bigint',
	q{CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $f$BEGIN RETURN NEW; END$f$},
	'ALTER TYPE e RENAME VALUE \'a\' TO \'b\'; ALTER DOMAIN d DROP CONSTRAINT c',
	'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v',
);
for my $file (glob('sql/*.sql'))
{
	my $text = slurp_file($file);
	while ($text =~ /'((?:[^']|'')+)'/g)
	{
		my $s = $1;
		$s =~ s/''/'/g;
		push @seeds, $s if $s =~ /\b(CREATE|ALTER|DROP|UPDATE|INSERT|DELETE|TRUNCATE|SELECT|COPY|BEGIN|COMMIT)\b/i;
	}
}
my @tokens = ('(', ')', ';', ',', "'", '"', '$$', '$x$', '--', '/*', '*/', 'CASCADE', 'DROP', 'TABLE',
	'NOT VALID', 'CONCURRENTLY', 'ONLY', '::', 'E\'\\\\', '\\', "\0x", 'ALTER COLUMN', 'USING',
	'WITH', 'RETURNING', 'RENAME TO', 'SET SCHEMA', 'IF EXISTS', '0x', '1e999', 'NULL');

sub mutate
{
	my ($s) = @_;
	for (1 .. 1 + int(rand(4)))
	{
		my $pos = int(rand(length($s) + 1));
		my $op = int(rand(6));
		if ($op == 0) { substr($s, $pos, 1 + int(rand(5)), '') if length($s); }
		elsif ($op == 1) { substr($s, $pos, 0, $tokens[ int(rand(@tokens)) ]); }
		elsif ($op == 2) { substr($s, $pos, 0, ' ' . $seeds[ int(rand(@seeds)) ] . ' '); }
		elsif ($op == 3) { $s = substr($s, 0, $pos); }
		elsif ($op == 4) { my $l = int(rand(20)); substr($s, $pos, 0, substr($s, int(rand(length($s) + 1)), $l)); }
		else { substr($s, $pos, 0, chr(1 + int(rand(255)))); }
	}
	$s =~ s/\0//g;
	return $s;
}

my $has_lint = $node->safe_psql('postgres',
	q{SELECT count(*) FROM pg_proc WHERE proname = 'lint' AND pronamespace = 'migrator'::regnamespace});
my $sql = "\\set ON_ERROR_STOP 0\nSET client_min_messages = error;\n";
for my $i (1 .. $iterations)
{
	my $input = mutate($seeds[ int(rand(@seeds)) ]);
	next if $input =~ /\$fz\$/;
	$sql .= "BEGIN; SELECT 1 FROM migrator.register('fz$i', \$fz\$$input\$fz\$, down => 'SELECT 1', plan => 'fuzz', kind => 'destructive', transactional => false); ROLLBACK;\n";
	$sql .= "SELECT count(*) FROM migrator.lint(\$fz\$$input\$fz\$);\n" if $has_lint;
}
my ($stdout, $stderr);
$node->psql('postgres', $sql, stdout => \$stdout, stderr => \$stderr, timeout => 600);

my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|was terminated|PANIC|TRAP:/, "no backend crashed in $iterations inputs");
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server still answers');
is($node->safe_psql('postgres', 'SELECT count(*) FROM migrator.migrations'), '0',
	'every fuzz registration was rolled back');
my $errors = () = $stderr =~ /ERROR:/g;
note("inputs: $iterations, clean errors: $errors, lint: " . ($has_lint ? 'yes' : 'no'));
cmp_ok($errors, '>', 0, 'the fuzz pass produced refusals (it exercised error paths)');

$node->stop;
done_testing();
