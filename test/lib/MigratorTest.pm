# Helpers shared by migrator's TAP tests.
package MigratorTest;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Exporter 'import';

our @EXPORT = qw(migrator_node bg_query bg_query_safe);

# A started cluster with migrator preloaded and installed in database
# "postgres".  Extra postgresql.conf lines may be passed; install_path runs
# another installation's server (pg_upgrade from an older major version).
sub migrator_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name,
		$opts{install_path} ? (install_path => $opts{install_path}) : ());
	$node->init(%{ $opts{init} // {} });
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'migrator'\n" . ($opts{conf} // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION migrator')
	  unless $opts{no_extension};
	return $node;
}

# The output of a query in a background psql session without the trailing
# newline that the test modules of early 16.x minor releases leave on it
# (later ones, and 15 and 18, strip it themselves).
sub bg_query
{
	my ($session, $sql) = @_;
	my $out = $session->query($sql);
	$out =~ s/\n\z// if defined $out;
	return $out;
}

sub bg_query_safe
{
	my ($session, $sql) = @_;
	my $out = $session->query_safe($sql);
	$out =~ s/\n\z// if defined $out;
	return $out;
}

1;
