# ALTER EXTENSION migrator UPDATE from every older version.  For each
# version whose install script is shipped:
#  - the library of the current version works with that version's SQL
#    objects, before the update (the order in which a DBA upgrades: install
#    the package, restart, then ALTER EXTENSION ... UPDATE per database);
#  - the update keeps history and events exactly, and the grants a DBA gave
#    a deploy role;
#  - the result is the same installation as a fresh CREATE EXTENSION of the
#    current version (test/lib/extension_objects.sql: every object, its
#    definition, owner, privileges and comment);
#  - a dump taken at the older version restores into the current one.
# The whole regression suite also runs on upgraded installations (the
# "upgrade" suite of test/run.sh): same behaviour, statement by statement.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('upgrade', no_extension => 1,
	conf => "listen_addresses = '127.0.0.1'\n");
my $objects_sql = slurp_file('test/lib/extension_objects.sql');

my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'migrator'});
my @older = split /\n/, $node->safe_psql('postgres', qq{
	SELECT version FROM pg_available_extension_versions
	 WHERE name = 'migrator' AND version <> '$current' ORDER BY version});
ok(scalar(@older) >= 1, "install scripts of older versions are shipped: @older");

# The grants the README gives a deploy role; made in every database, so
# that privileges compare equal too.
my $grants = q{
	GRANT USAGE ON SCHEMA migrator TO deploy;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrator TO deploy;
	GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA migrator TO deploy;
	GRANT SELECT ON migrator.migrations, migrator.events TO deploy;
};
$node->safe_psql('postgres', 'CREATE ROLE deploy LOGIN');
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', "CREATE EXTENSION migrator; $grants");
my $fresh_objects = $node->safe_psql('fresh', $objects_sql);
like($fresh_objects, qr/^column migrator\.events #\d+ client_addr inet/m,
	'the object list describes columns');

# The comparison sees a change as small as a comment.
$node->safe_psql('postgres', 'CREATE DATABASE scratch');
$node->safe_psql('scratch', qq{CREATE EXTENSION migrator; $grants
	COMMENT ON COLUMN migrator.events.detail IS 'changed'});
isnt($node->safe_psql('scratch', $objects_sql), $fresh_objects,
	'a changed comment makes the object lists differ');

# Over TCP, with an application name: what the events of 0.2 record.
sub tcp
{
	my ($db, $user, $app) = @_;
	return 'host=127.0.0.1 port=' . $node->port . " dbname=$db user=$user application_name=$app";
}

sub psql_as
{
	my ($connstr, $sql) = @_;
	my ($stdout, $stderr);
	my $rc = $node->psql('postgres', $sql, connstr => $connstr,
		stdout => \$stdout, stderr => \$stderr);
	return ($rc, $stdout, $stderr);
}

# The columns of migrations every version has (0.3 added imported,
# irreversible and up_statements).
my $history = q{SELECT string_agg(ROW(version, name, up, down, verify, plan, kind, transactional,
	checksum, state, findings, depends_on, registered_at, registered_by, applied_at, applied_by,
	apply_seq, duration)::text, E'\n' ORDER BY version) FROM migrator.migrations};
# The columns every version has.
my $events = q{SELECT string_agg(ROW(id, at, version, action, migration_type, outcome, role,
	database, rule, statement, detail)::text, E'\n' ORDER BY id) FROM migrator.events};

for my $v (@older)
{
	(my $db = "from_$v") =~ s/\W/_/g;
	my $role = 'deploy';

	isnt($node->safe_psql('postgres', qq{
		SELECT path FROM pg_extension_update_paths('migrator')
		 WHERE source = '$v' AND target = '$current'}), '',
		"$v: an update path to $current exists");

	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, qq{
		CREATE EXTENSION migrator VERSION '$v';
		CREATE SCHEMA app AUTHORIZATION $role;
		$grants
	});
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'migrator'}),
		$v, "$v: installed at $v");

	# The current library, the older SQL objects: the deploy role works.
	my ($rc, $out, $err) = psql_as(tcp($db, $role, 'job-before'), q{
		SELECT migrator.register('1', 'CREATE TABLE app.t (id int PRIMARY KEY)', 'DROP TABLE app.t');
		SELECT migrator.register('2', 'ALTER TABLE app.t ADD COLUMN note text', 'ALTER TABLE app.t DROP COLUMN note');
		SELECT migrator.register('3', 'ALTER TABLE app.t DROP COLUMN note',
			'ALTER TABLE app.t ADD COLUMN note text',
			plan => 'nothing reads note since release 12; down adds it back empty');
		SELECT string_agg(version, ',') FROM migrator.apply();
		SELECT bool_and(ok) FROM migrator.verify();
		CALL migrator.deploy();
	});
	is($rc, 0, "$v: register, apply, verify and deploy before the update") or diag($err);
	($rc, $out, $err) = psql_as(tcp($db, $role, 'job-before'), 'DROP TABLE app.t');
	like($err, qr/ERROR:  unplanned destructive statement DROP TABLE on "app\.t"/, "$v: the guard refuses before the update");
	is($node->safe_psql($db, q{
		SELECT string_agg(action || ':' || outcome || ':' || coalesce(version, '-'), ',' ORDER BY id)
		  FROM migrator.events}),
		'register:success:1,register:success:2,register:success:3,'
		  . 'apply:success:1,apply:success:2,apply:success:3,'
		  . 'verify:success:-,block:blocked:-',
		"$v: events of the older shape written, the refusal's included");

	# Versions from 0.2 on record where a call came from.
	my $had_origin = $node->safe_psql($db, q{SELECT count(*) FROM pg_attribute
		WHERE attrelid = 'migrator.events'::regclass AND attname = 'application_name'}) eq '1';
	my $history_before = $node->safe_psql($db, $history);
	my $events_before = $node->safe_psql($db, $events);
	# the older version's routines, by signature
	my $functions_before = $node->safe_psql($db, q{SELECT string_agg(quote_literal(oid::regprocedure::text), ',')
		FROM pg_proc WHERE pronamespace = 'migrator'::regnamespace});
	my $grant_new_routines = qq{DO \$\$ DECLARE f regprocedure; BEGIN
		FOR f IN SELECT oid FROM pg_proc WHERE pronamespace = 'migrator'::regnamespace
		                AND oid::regprocedure::text NOT IN ($functions_before) LOOP
			EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO deploy', f);
		END LOOP; END \$\$};
	my $dump = $node->basedir . "/$db.dump";
	$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr($db), '-f', $dump ],
		"$v: pg_dump at $v");

	$node->safe_psql($db, 'ALTER EXTENSION migrator UPDATE');
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'migrator'}),
		$current, "$v: updated to $current");
	is($node->safe_psql($db, $history), $history_before, "$v: migrations unchanged by the update");
	is($node->safe_psql($db, $events), $events_before, "$v: events unchanged by the update");
	if ($had_origin)
	{
		is($node->safe_psql($db, q{SELECT count(*) FROM migrator.events
			WHERE application_name IS DISTINCT FROM 'job-before' OR client_addr IS NULL}), '0',
			"$v: rows written before the update keep the origin they recorded");
	}
	else
	{
		is($node->safe_psql($db, q{SELECT count(*) FROM migrator.events
			WHERE application_name IS NOT NULL OR client_addr IS NOT NULL}), '0',
			"$v: rows written before the update claim no origin");
	}
	# Routines the update adds are granted to nobody, whatever was granted
	# ON ALL FUNCTIONS before; a DBA grants the deploy role what the update
	# added, as it did for the rest; the grants of the older routines are
	# the update's to keep.
	is($node->safe_psql($db, qq{
		SELECT count(*) FROM pg_proc
		 WHERE pronamespace = 'migrator'::regnamespace
		   AND oid::regprocedure::text NOT IN ($functions_before)
		   AND has_function_privilege('deploy', oid, 'EXECUTE')}), '0',
		"$v: routines added by the update are not granted to the deploy role");
	$node->safe_psql($db, $grant_new_routines);
	# status() is created again by 0.3 (a new column): its grant stays.
	is($node->safe_psql($db, q{SELECT has_function_privilege('deploy', 'migrator.status()', 'EXECUTE')}),
		't', "$v: the deploy role keeps EXECUTE on status()");
	my $objects = $node->safe_psql($db, $objects_sql);
	is($objects, $fresh_objects, "$v: the updated installation equals a fresh $current")
	  or diag(join("\n", grep { my $l = $_; index($fresh_objects, $l) < 0 } split /\n/, $objects));

	# The deploy role's grants survived; new events say where calls came from.
	my $mark = $node->safe_psql($db, 'SELECT max(id) FROM migrator.events');
	($rc, $out, $err) = psql_as(tcp($db, $role, 'job-after'), q{
		SELECT migrator.register('4', 'CREATE INDEX ON app.t (id)', 'DROP INDEX app.t_id_idx');
		SELECT string_agg(version, ',') FROM migrator.apply();
		SELECT count(*) FROM migrator.status();
	});
	is($rc, 0, "$v: the deploy role works after the update") or diag($err);
	like($out, qr/^4\n4$/m, "$v: it applied 4 and sees 4 migrations");
	($rc, $out, $err) = psql_as(tcp($db, $role, 'job-after'), 'DROP TABLE app.t');
	like($err, qr/ERROR:  unplanned destructive statement DROP TABLE on "app\.t"/, "$v: the guard refuses after the update");
	is($node->safe_psql($db, qq{
		SELECT string_agg(action || ':' || application_name || ':' || host(client_addr), ',' ORDER BY id)
		  FROM migrator.events WHERE id > $mark}),
		'register:job-after:127.0.0.1,apply:job-after:127.0.0.1,block:job-after:127.0.0.1',
		"$v: new events record application_name and client address, the refusal's included");

	# A dump of the older version restores into the current one.
	my $restored = "restored_$db";
	$node->safe_psql('postgres', "CREATE DATABASE $restored");
	$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr($restored), $dump ],
		"$v: pg_restore of the $v dump");
	# the dump holds the grants of the older version's routines only
	$node->safe_psql($restored, $grant_new_routines);
	is($node->safe_psql($restored, q{SELECT extversion FROM pg_extension WHERE extname = 'migrator'}),
		$current, "$v: the restored database runs $current");
	is($node->safe_psql($restored, $history), $history_before, "$v: restored migrations");
	is($node->safe_psql($restored, $events), $events_before, "$v: restored events");
	is($node->safe_psql($restored, $objects_sql), $fresh_objects,
		"$v: the restored installation equals a fresh $current");
	is($node->safe_psql($restored, 'SELECT count(*) FROM migrator.drift()'), '0',
		"$v: drift() sees the restored schema as recorded");
}

$node->stop;
done_testing();
