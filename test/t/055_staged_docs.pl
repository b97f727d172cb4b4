# docs/staged.md: every sql block of the page, in order, is one psql
# session a DBA can type; it runs as shown, and says what the page says.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('staged_docs', no_extension => 1);
my $page = slurp_file('docs/staged.md');
my @blocks = $page =~ /^```sql\n(.*?)^```$/msg;
cmp_ok(scalar(@blocks), '>=', 5, 'docs/staged.md has its psql session');

my ($rc, $out, $err) = $node->psql('postgres', join("\n", @blocks),
	extra_params => [ '-v', 'ON_ERROR_STOP=1' ]);
is($rc, 0, 'the session runs as shown') or diag($err);
like($out, qr/^20261201\|staged\|applied\|expanded$/m, 'deploy() leaves both changes in flight');
like($out, qr/^4\|19\.90$/m, 'the new application wrote 19.90 ...');
like($out, qr/^4\|20$/m, '... which the old one reads as 20');
like($out, qr/^20261202\|completed$/m, 'complete() completes');
like($out, qr/^4\|Di New$/m, 'the new shape is the table\'s');
like($out, qr/^20261203\|pending\|aborted$/m, 'abort() returns to the old shape');

done_testing();
