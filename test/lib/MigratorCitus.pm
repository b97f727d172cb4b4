# A local Citus cluster for the Citus suite (test/t/09x_citus*.pl): a
# coordinator and workers, each a PostgreSQL::Test::Cluster with
# shared_preload_libraries = 'citus,migrator' and both extensions created in
# database "postgres", joined with citus_set_coordinator_host() and
# citus_add_node().  Citus is put into the private installation by
# scripts/citus-install.sh; when it is not there the suite is skipped with the
# reason that script gave (MIGRATOR_CITUS_SKIP).
package MigratorCitus;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Digest::SHA qw(hmac_sha256_hex);
use Exporter 'import';

our @EXPORT = qw(citus_available citus_cluster citus_node citus_join
  citus_key citus_write_key cluster_token);

# The reason the suite cannot run here, or undef when Citus is installed.
sub citus_available
{
	my $sharedir = `pg_config --sharedir`;
	chomp $sharedir;
	return undef if -f "$sharedir/extension/citus.control";
	return $ENV{MIGRATOR_CITUS_SKIP}
	  // "Citus is not installed in the test installation ($sharedir)";
}

# The cluster's shared secret (migrator.cluster_key_file, docs/citus.md):
# 32 random bytes, hex.
my $cluster_key = join('', map { sprintf('%02x', int(rand(256))) } 1 .. 32);

sub citus_key { return $cluster_key; }

# Write "key" (default: the cluster's) into the node's data directory, mode
# 0600, and return the name migrator.cluster_key_file takes.
sub citus_write_key
{
	my ($node, $key) = @_;
	my $path = $node->data_dir . '/migrator_cluster.key';
	open my $fh, '>', $path or die "cannot write $path: $!";
	print $fh ($key // $cluster_key), "\n";
	close $fh;
	chmod 0600, $path;
	return 'migrator_cluster.key';
}

# A started node with Citus and migrator preloaded and created ("no_migrator":
# only Citus, as a node Citus gives the extensions it knows when it joins).
# "no_key" leaves migrator.cluster_key_file unset; "conf" adds
# postgresql.conf lines.
sub citus_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	my $key = $opts{no_key} ? ''
	  : "migrator.cluster_key_file = '" . citus_write_key($node) . "'\n";
	# Citus connects to the local node (logical replication of shard moves)
	# through citus.local_hostname: the socket directory here.
	my $host = $node->host;
	$node->append_conf('postgresql.conf', <<"CONF" . $key . ($opts{conf} // ''));
shared_preload_libraries = 'citus,migrator'
max_prepared_transactions = 20
wal_level = logical
max_worker_processes = 24
max_wal_senders = 10
max_replication_slots = 10
citus.local_hostname = '$host'
citus.shard_count = 4
citus.background_task_queue_interval = 200ms
log_line_prefix = '%m [%p] %a %u: '
lc_messages = 'C'
CONF
	$node->start;
	# PostgreSQL 15.19 and later load only the output plugins this names;
	# Citus's shard splits decode with citus.so itself.
	if ($node->safe_psql('postgres',
			"SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'") eq '1')
	{
		$node->append_conf('postgresql.conf',
			"output_plugin_libraries = 'pgoutput, test_decoding, citus'\n");
		$node->reload;
	}
	$node->safe_psql('postgres', 'CREATE EXTENSION citus;'
		  . ($opts{no_migrator} ? '' : ' CREATE EXTENSION migrator;'));
	return $node;
}

# Add "worker" to the cluster of "coord".
sub citus_join
{
	my ($coord, $worker) = @_;
	$coord->safe_psql('postgres',
		"SELECT citus_add_node('" . $worker->host . "', " . $worker->port . ')');
}

# Start a coordinator and "workers" workers (default 2), join them, and
# return (coordinator, worker1, worker2, ...).
sub citus_cluster
{
	my (%opts) = @_;
	my $coord = citus_node('coordinator', %opts);
	$coord->safe_psql('postgres',
		"SELECT citus_set_coordinator_host('" . $coord->host . "', " . $coord->port . ')');
	my @workers = map { citus_node("worker$_", %opts) } 1 .. ($opts{workers} // 2);
	citus_join($coord, $_) foreach @workers;
	return ($coord, @workers);
}

# A migration authority as the coordinator's guard writes it
# (migrator.cluster_authority, docs/citus.md): for tests that forge, replay
# or alter one.  "permits" is a list of [rule, object-or-undef].
sub cluster_token
{
	my (%t) = @_;
	my $esc = sub {
		my ($s) = @_;
		$s =~ s/([^A-Za-z0-9_.\-])/sprintf('%%%02X', ord($1))/ge;
		return $s;
	};
	my $permits = join(',',
		map { defined $_->[1] ? $_->[0] . ':' . $esc->($_->[1]) : $_->[0] }
		  @{ $t{permits} });
	my $signed = join(';', 'v1', $t{issued} // time(), $esc->($t{role}),
		$esc->($t{database} // 'postgres'), $esc->($t{version} // ''), $permits);
	return $signed . ';' . hmac_sha256_hex($signed, pack('H*', $t{key} // $cluster_key));
}

1;
