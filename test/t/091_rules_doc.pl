# The rule table of docs/reference.md is migrator.rules(), rendered by
# scripts/rules-doc.sql: a rule added, removed or reworded in the code
# fails here until the page is regenerated with `make rules-doc`.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('rules_doc');
my $table = $node->safe_psql('postgres', slurp_file('scripts/rules-doc.sql'));

my $page = slurp_file('docs/reference.md');
my ($shown) = $page =~ /<!-- rules:begin[^\n]*-->\n(.*?)\n?<!-- rules:end -->/s;
ok(defined $shown, 'docs/reference.md has the rules:begin and rules:end markers');
is($shown // '', $table,
	'the rule table of docs/reference.md matches migrator.rules()')
  or diag('docs/reference.md is out of date: run `make rules-doc` and commit docs/reference.md');

# The table lists every rule once.
my $count = $node->safe_psql('postgres', 'SELECT count(*) FROM migrator.rules()');
my @rows = ($shown // '') =~ /^\| `[a-z_]+` \|/mg;
is(scalar @rows, $count, 'every rule of migrator.rules() has a row');

$node->stop;
done_testing();
