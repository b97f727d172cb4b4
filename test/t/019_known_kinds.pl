# The analyser knows every statement kind and ALTER TABLE subcommand of the
# server it is built for, and judges what each version adds.
#
# 1. The server's own lists, read from its headers (the node tags of
#    statements, the AlterTableType enumerators), against the names
#    src/analyze.c knows: statement_kind_known() and the subcommand switch
#    of classify_alter_table().  A name the analyser lacks would be judged
#    unknown_statement / unknown_subcommand (destructive) on this server;
#    on a new major version this test fails and lists what to learn.
# 2. What versions add, judged on the server at hand: MERGE ... DELETE
#    (15), SET EXPRESSION (17), virtual generated columns, NOT ENFORCED and
#    table-level NOT NULL constraints (18).  On an older server those
#    statements do not parse, and their tests are skipped.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

sub slurp
{
	my ($path) = @_;
	open my $fh, '<', $path or die "$path: $!";
	local $/;
	return <$fh>;
}

my $pg_config = $ENV{MIGRATOR_PG_CONFIG} // 'pg_config';
my $incdir = `$pg_config --includedir-server`;
chomp $incdir;
ok(-d $incdir, "server headers at $incdir");

# The server's statement node tags: 16 and later generate nodetags.h, 15
# lists them in nodes.h.
my $tags_file = -f "$incdir/nodes/nodetags.h"
  ? "$incdir/nodes/nodetags.h" : "$incdir/nodes/nodes.h";
my %server_stmts = map { $_ => 1 } (slurp($tags_file) =~ /\b(T_\w+Stmt)\b/g);
ok(keys %server_stmts > 100, 'the server names its statement node tags')
  or diag "found " . scalar(keys %server_stmts) . " in $tags_file";

my ($at_enum) = slurp("$incdir/nodes/parsenodes.h")
  =~ /typedef enum AlterTableType\s*\{(.*?)\}\s*AlterTableType;/s;
my %server_subcommands = map { $_ => 1 } (($at_enum // '') =~ /\b(AT_\w+)\b/g);
ok(keys %server_subcommands > 50, 'the server names its ALTER TABLE subcommands');

my $analyze = slurp('src/analyze.c');
my ($known_fn) = $analyze =~ /\nstatement_kind_known\(Node \*stmt\)\n\{(.*?)\n\}\n/s;
my %known_stmts = map { $_ => 1 } (($known_fn // '') =~ /case (T_\w+):/g);
my ($classify_at) = $analyze =~ /\nclassify_alter_table\(AlterTableStmt \*stmt, List \*findings\)\n\{(.*?)\n\}\n/s;
my %known_subcommands = map { $_ => 1 } (($classify_at // '') =~ /case (AT_\w+):/g);

my @missing_stmts = sort grep { !$known_stmts{$_} } keys %server_stmts;
is_deeply(\@missing_stmts, [],
	'every statement node tag of this server is named in statement_kind_known()');
my @missing_subcommands = sort grep { !$known_subcommands{$_} } keys %server_subcommands;
is_deeply(\@missing_subcommands, [],
	'every ALTER TABLE subcommand of this server is named in classify_alter_table()');

# The names the analyser knows that this server lacks are another
# version's, bridged in compat.h (statements: none so far).
my @foreign = sort grep { !$server_subcommands{$_} } keys %known_subcommands;
my $compat = slurp('src/compat.h');
is_deeply([ grep { $compat !~ /#define\s+\Q$_\E\s/ } @foreign ], [],
	'subcommands of other versions are bridged in compat.h: ' . join(' ', @foreign));

my $major = $ENV{MIGRATOR_PG_MAJOR};
if (!$major)
{
	($major) = `$pg_config --version` =~ /PostgreSQL (\d+)/;
}

my $node = migrator_node('kinds');
$node->safe_psql('postgres', q{
	CREATE SCHEMA app;
	CREATE TABLE app.t (id int PRIMARY KEY, a int);
	CREATE TABLE app.src (id int PRIMARY KEY, a int);
	INSERT INTO app.t VALUES (1, 1), (2, 2);
});

is($node->safe_psql('postgres', q{
	SELECT string_agg(rule || '=' || kind, ' ' ORDER BY rule) FROM migrator.rules()
	WHERE rule LIKE 'unknown%'}),
	'unknown_statement=destructive unknown_subcommand=destructive',
	'statements and subcommands not known are judged destructive');

# The rules lint reports for a script, sorted.
sub lint_rules
{
	my ($sql) = @_;
	return $node->safe_psql('postgres',
		"SELECT coalesce(string_agg(DISTINCT rule, ' ' ORDER BY rule), '') FROM migrator.lint(\$script\$$sql\$script\$)");
}

is(lint_rules(q{MERGE INTO app.t USING app.src s ON t.id = s.id
	WHEN MATCHED THEN DELETE;}),
	'delete_rows', 'MERGE with a DELETE action deletes rows');
is(lint_rules(q{MERGE INTO app.t USING app.src s ON t.id = s.id
	WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.a);}),
	'update_rows', 'MERGE without DELETE is a backfill');

SKIP:
{
	skip "SET EXPRESSION and MERGE ... NOT MATCHED BY SOURCE are 17's", 3 if $major < 17;
	$node->safe_psql('postgres',
		'ALTER TABLE app.t ADD COLUMN g int GENERATED ALWAYS AS (a * 2) STORED');
	is(lint_rules('ALTER TABLE app.t ALTER COLUMN g SET EXPRESSION AS (a * 3);'),
		'set_expression_rewrite update_rows',
		'SET EXPRESSION of a stored column recomputes every row and rewrites the table');
	is(lint_rules(q{MERGE INTO app.t USING app.src s ON t.id = s.id
		WHEN NOT MATCHED BY SOURCE THEN DELETE;}),
		'delete_rows', 'MERGE ... WHEN NOT MATCHED BY SOURCE THEN DELETE deletes rows');
	my ($ret, $out, $err) = $node->psql('postgres',
		'ALTER TABLE app.t ALTER COLUMN g SET EXPRESSION AS (a * 3)');
	is($ret, 0, 'the guard lets SET EXPRESSION run (staged, not destructive)')
	  or diag $err;
}

SKIP:
{
	skip "virtual generated columns, NOT ENFORCED and NOT NULL constraints are 18's", 9
	  if $major < 18;
	is(lint_rules('ALTER TABLE app.t ADD COLUMN v int GENERATED ALWAYS AS (a * 2);'),
		'', 'ADD COLUMN of a virtual generated column rewrites nothing');
	is(lint_rules('ALTER TABLE app.t ADD COLUMN s int GENERATED ALWAYS AS (a * 2) STORED;'),
		'add_column_rewrite', 'ADD COLUMN of a stored generated column rewrites the table');
	$node->safe_psql('postgres',
		'ALTER TABLE app.t ADD COLUMN v int GENERATED ALWAYS AS (a * 2) VIRTUAL');
	is(lint_rules('ALTER TABLE app.t ALTER COLUMN v SET EXPRESSION AS (a * 3);'),
		'update_rows', 'SET EXPRESSION of a virtual column rewrites nothing');

	$node->safe_psql('postgres', q{
		ALTER TABLE app.t ADD CONSTRAINT a_positive CHECK (a > 0);
		ALTER TABLE app.src ADD CONSTRAINT src_t FOREIGN KEY (id) REFERENCES app.t;
	});
	is(lint_rules('ALTER TABLE app.t ADD CONSTRAINT a_small CHECK (a < 100) NOT ENFORCED;'),
		'not_valid_constraint', 'a constraint added NOT ENFORCED is NOT VALID: nothing is scanned');
	is(lint_rules('ALTER TABLE app.src ALTER CONSTRAINT src_t NOT ENFORCED;'),
		'drop_constraint', 'ALTER CONSTRAINT ... NOT ENFORCED is destructive, as a drop');
	my ($ret, $out, $err) = $node->psql('postgres',
		'ALTER TABLE app.src ALTER CONSTRAINT src_t NOT ENFORCED');
	like($err, qr/unplanned destructive statement ALTER TABLE on "app\.src\.src_t"/,
		'the guard refuses it outside a migration');
	is($node->safe_psql('postgres',
		q{SELECT conenforced FROM pg_constraint WHERE conname = 'src_t'}),
		't', 'and the foreign key is still enforced');

	is(lint_rules('ALTER TABLE app.t ADD CONSTRAINT a_nn NOT NULL a;'),
		'set_not_null_scan', 'ADD CONSTRAINT ... NOT NULL scans the table as SET NOT NULL does');
	is(lint_rules('ALTER TABLE app.t ADD CONSTRAINT a_nn NOT NULL a NOT VALID;'),
		'not_valid_constraint', 'NOT NULL ... NOT VALID scans nothing: a staged constraint');
}

# A refusal records the statement from its first token on, past the blanks
# and comments before it (18 locates statements so, 15 to 17 after the
# previous one), so that it reads the same on every version.  psql sends a
# leading block comment along (line comments it drops).
my ($ret, $out, $err) = $node->psql('postgres',
	"/* why /* nested */ still why */\n  DROP TABLE app.src");
like($err, qr/unplanned destructive statement DROP TABLE/, 'a drop after a comment is refused');
is($node->safe_psql('postgres',
	q{SELECT statement FROM migrator.events WHERE action = 'block' ORDER BY id DESC LIMIT 1}),
	'DROP TABLE app.src', 'its recorded text starts at the statement');

$node->stop;
done_testing();
