# The guard's hook chains to the hook installed before it (here
# pg_stat_statements' ProcessUtility hook), also when the guard is off; and
# single-user mode, the way back in, is not guarded.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('chain');
$node->init;
# migrator loads last, so pg_stat_statements' hook is the one it chains to.
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_stat_statements, migrator'
pg_stat_statements.track_utility = on
lc_messages = 'C'
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION migrator;
	CREATE EXTENSION pg_stat_statements;
	CREATE TABLE keep (id int);
	CREATE TABLE spare (id int);
	SELECT pg_stat_statements_reset();
});

my ($ret, $out, $err) = $node->psql('postgres', 'DROP TABLE keep');
like($err, qr/unplanned destructive statement DROP TABLE on "keep"/,
	'with another ProcessUtility hook loaded first, the guard still refuses');
$node->safe_psql('postgres', 'CREATE TABLE chained (id int)');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_statements WHERE query = 'CREATE TABLE chained (id int)'"),
	'1', 'the previous hook (pg_stat_statements) sees the statements the guard passes on');
$node->safe_psql('postgres', 'SET migrator.guard = off; DROP TABLE spare');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_statements WHERE query = 'DROP TABLE spare'"),
	'1', 'and it is chained to when the guard is off');
$node->stop;

# Single-user mode: the guard (and event triggers) stay out of the way.
my $in = "DROP TABLE keep;\n";
my ($sout, $serr) = ('', '');
IPC::Run::run([ 'postgres', '--single', '-F', '-c', 'exit_on_error=true',
		'-D', $node->data_dir, 'postgres' ],
	'<', \$in, '>', \$sout, '2>', \$serr);
unlike($serr . $sout, qr/unplanned destructive/, 'single-user mode: no refusal');
$node->start;
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_tables WHERE tablename = 'keep'"),
	'0', 'single-user mode: the table was dropped');
$node->stop;

done_testing();
