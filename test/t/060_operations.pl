# Rolling the guard out, housekeeping and uninstalling, where pg_regress
# and the documentation's examples cannot look (docs/rollout.md, the
# README):
#  - the server-log lines of observe mode, of an exempted statement and of
#    the drop of the extension;
#  - the guard switched off by ALTER SYSTEM and a reload, ALTER DATABASE
#    SET and PGOPTIONS leaves a log line and an event in each session it
#    takes effect in, naming the source;
#  - standing exemptions survive pg_dump / pg_restore and keep working;
#  - uninstalling: per database (the schema gone, kept when it holds other
#    objects or belongs to another role, observe mode never failing on an
#    unreadable catalog), then the library out of shared_preload_libraries
#    and a restart;
#  - without shared_preload_libraries, CREATE EXTENSION warns once (the
#    protection's warning), the functions that need the hook warn, and
#    check_preload() says false.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('operations', no_extension => 1);
my $su = $node->safe_psql('postgres', 'SELECT current_user');
my ($rc, $out, $err);

# --- a database that rolls the guard out, then uninstalls -------------
# (test/t/090_docs.pl runs the examples of docs/rollout.md and the README;
# this checks their server-log lines, which the examples cannot show)
$node->safe_psql('postgres', 'CREATE DATABASE shop');
$node->safe_psql('shop', q{
	CREATE EXTENSION migrator;
	CREATE ROLE etl LOGIN;
	CREATE SCHEMA app;
	GRANT USAGE ON SCHEMA app TO etl;
	CREATE TABLE app.staging (id int);
	ALTER TABLE app.staging OWNER TO etl;
	INSERT INTO app.staging VALUES (1);
	ALTER ROLE etl SET migrator.guard = observe;
});
$node->safe_psql('shop', 'TRUNCATE app.staging', extra_params => ['-U', 'etl']);
$node->safe_psql('shop', q{
	ALTER ROLE etl RESET migrator.guard;
	SELECT migrator.exempt(relation => 'app.staging', rule => 'truncate', role => 'etl',
	                       reason => 'nightly reload');
	INSERT INTO app.staging VALUES (2);
});
$node->safe_psql('shop', 'TRUNCATE app.staging', extra_params => ['-U', 'etl']);
like(slurp_file($node->logfile),
	qr/migrator guard: observed rule=truncate tag="TRUNCATE TABLE" object="app.staging" role="etl"/,
	'observe mode logs what it would have refused');
like(slurp_file($node->logfile),
	qr/migrator guard: exempt rule=truncate tag="TRUNCATE TABLE" object="app.staging" exemption=1 role="etl"/,
	'an exempted statement is logged with its exemption');
($rc, $out, $err) = $node->psql('shop', q{
	BEGIN;
	SELECT migrator.allow('DROP EXTENSION migrator', reason => 'uninstall');
	DROP EXTENSION migrator;
	COMMIT;
});
like(slurp_file($node->logfile),
	qr/migrator: extension dropped from database "shop" by role "$su" with its history: 0 migrations, \d+ events and 1 exemption/,
	'the drop is in the server log, the one record that outlives the extension');
is($node->safe_psql('shop', q{SELECT count(*) FROM pg_namespace WHERE nspname = 'migrator'}),
	'0', 'and the schema is gone');

# --- guard-off traces: ALTER SYSTEM, ALTER DATABASE --------------------
$node->safe_psql('postgres', q{
	CREATE DATABASE traced;
	CREATE ROLE dev LOGIN;
});
$node->safe_psql('traced', q{
	CREATE EXTENSION migrator;
	CREATE TABLE t (id int);
	ALTER TABLE t OWNER TO dev;
});
my $session = $node->background_psql('traced', on_error_stop => 0);
$session->query_safe('SELECT 1');
my $offset = -s $node->logfile;
$node->safe_psql('postgres', q{ALTER SYSTEM SET migrator.guard = off; SELECT pg_reload_conf()});
# The reload reaches the session at its next command.
$node->poll_query_until('traced', q{SELECT current_setting('migrator.guard') = 'off'})
  or die 'the reload did not take effect';
$session->query_safe('SELECT 1');
$session->query_safe('CREATE TABLE u (id int)');
$session->query_safe('DROP TABLE u');
like(slurp_file($node->logfile, $offset),
	qr/migrator guard: off source="configuration file" role="\w+" session_role="\w+" database="traced" statement: CREATE TABLE u \(id int\)/,
	'ALTER SYSTEM: the running session logs the trace at its next utility statement');
($rc, $out, $err) = $node->psql('traced', 'TRUNCATE t', extra_params => ['-U', 'dev']);
is($rc, 0, 'a new session of an ordinary role runs with the guard off') or diag($err);
is($node->safe_psql('traced', q{
	SELECT string_agg(role || ' ' || btrim(statement, E' \n;') || ' / ' || detail, E'\n' ORDER BY id)
	  FROM migrator.events WHERE action = 'guard_off'}),
	"$su CREATE TABLE u (id int) / migrator.guard = off (source: configuration file); session user $su\n"
	  . 'dev TRUNCATE t / migrator.guard = off (source: configuration file); session user dev',
	'one guard_off event per session it took effect in, with the source');
is($node->safe_psql('traced', q{SELECT count(*) FROM migrator.events WHERE action = 'guard_off'}),
	'2', 'two sessions, two traces (not one per statement)');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET migrator.guard; SELECT pg_reload_conf()});
$session->quit;

$node->safe_psql('postgres', 'ALTER DATABASE traced SET migrator.guard = off');
$node->safe_psql('traced', 'TRUNCATE t');
is($node->safe_psql('traced', q{SELECT detail FROM migrator.events WHERE action = 'guard_off' ORDER BY id DESC LIMIT 1}),
	"migrator.guard = off (source: database); session user $su",
	'ALTER DATABASE SET: the trace names the database as the source');
$node->safe_psql('postgres', 'ALTER DATABASE traced RESET migrator.guard');
is($node->safe_psql('traced', q{SELECT count(*) FROM migrator.events WHERE action = 'guard_off'}),
	'3', 'and is one more trace');
{
	local $ENV{PGOPTIONS} = '-c migrator.guard=off';
	$node->safe_psql('traced', 'TRUNCATE t');
}
is($node->safe_psql('traced', q{SELECT detail FROM migrator.events WHERE action = 'guard_off' ORDER BY id DESC LIMIT 1}),
	"migrator.guard = off (source: client); session user $su",
	'PGOPTIONS: the trace names the client as the source');

# --- exemptions survive pg_dump / pg_restore ------------------------------
$node->safe_psql('traced', q{
	SELECT migrator.exempt(relation => 't', rule => 'truncate', role => 'dev', reason => 'nightly');
	INSERT INTO t VALUES (1);
});
my $dump = $node->basedir . '/traced.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('traced'), '-f', $dump ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore');
is($node->safe_psql('restored', 'SELECT relation, rule, role, reason FROM migrator.exemptions'),
	'public.t|truncate|dev|nightly', 'the exemption is restored');
($rc, $out, $err) = $node->psql('restored', 'TRUNCATE t', extra_params => ['-U', 'dev']);
is($rc, 0, 'and still lets its job through') or diag($err);
($rc, $out, $err) = $node->psql('restored', 'DROP TABLE t', extra_params => ['-U', 'dev']);
like($err, qr/unplanned destructive statement DROP TABLE on "t"/, 'and nothing else');
is($node->safe_psql('restored', q{SELECT nextval('migrator.exemptions_id_seq') > 1}), 't',
	'the id sequence is restored too');

# --- observe mode and a protected database ----------------------------------
# Its rename runs and is recorded in it; its drop runs, and only the log line
# stays (a record would go with the database).
$node->safe_psql('postgres', 'CREATE DATABASE watched');
$node->safe_psql('watched', 'CREATE EXTENSION migrator');
$offset = -s $node->logfile;
($rc, $out, $err) = $node->psql('postgres', q{
	SET migrator.guard = observe;
	ALTER DATABASE watched RENAME TO watched2;
});
is($rc, 0, 'observe mode: the rename of a protected database runs') or diag($err);
is($err, '', 'silently');
is($node->safe_psql('watched2', q{
	SELECT string_agg(action || ' ' || outcome || ' ' || rule, ', ')
	  FROM migrator.events WHERE action = 'observe'}),
	'observe observed rename', 'and is recorded in the protected database');
($rc, $out, $err) = $node->psql('postgres', q{
	SET migrator.guard = observe;
	DROP DATABASE watched2;
});
is($rc, 0, 'observe mode: the drop of a protected database runs') or diag($err);
like(slurp_file($node->logfile, $offset),
	qr/migrator guard: observed rule=drop_database tag="DROP DATABASE" object="watched2".*statement: DROP DATABASE watched2/,
	'and the server log keeps it');

# --- uninstall in each database, then the library --------------------------
# docs/operations.md: every database with the extension carries the label.
my $labelled = q{SELECT string_agg(d.datname, ',' ORDER BY d.datname)
	FROM pg_shseclabel l JOIN pg_database d ON d.oid = l.objoid
	WHERE l.provider = 'migrator' AND l.classoid = 'pg_database'::regclass};
my $installed = join(',', sort grep { $node->safe_psql($_,
		q{SELECT count(*) FROM pg_extension WHERE extname = 'migrator'}) eq '1' }
	split /\n/, $node->safe_psql('postgres', 'SELECT datname FROM pg_database WHERE datallowconn'));
isnt($installed, '', 'databases have the extension');
is($node->safe_psql('postgres', $labelled), $installed,
	'the protection labels list the databases that have the extension');
for my $db ('traced', 'restored')
{
	my ($ok, $o, $e) = $node->psql($db, q{
		BEGIN;
		SELECT migrator.allow('DROP EXTENSION migrator', reason => 'uninstall');
		DROP EXTENSION migrator;
		COMMIT;
	});
	is($ok, 0, "$db: allowed DROP EXTENSION") or diag($e);
	like($e, qr/WARNING:  dropping extension migrator deletes its history: \d+ migrations?, \d+ events and 1 exemption/,
		"$db: allow() warns that the history goes");
	like($e, qr/NOTICE:  dropped schema migrator/, "$db: the schema goes");
	is($node->safe_psql($db, q{
		SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'migrator')
		     + (SELECT count(*) FROM pg_event_trigger WHERE evtname = 'migrator_guard')
		     + (SELECT count(*) FROM pg_proc WHERE probin LIKE '%migrator%')}),
		'0', "$db: nothing of migrator is left");
}
# A user's object in the schema keeps it.
$node->safe_psql('postgres', 'CREATE DATABASE kept');
$node->safe_psql('kept', 'CREATE EXTENSION migrator; CREATE TABLE migrator.mine (id int)');
($rc, $out, $err) = $node->psql('kept', q{
	SET migrator.guard = off;
	DROP EXTENSION migrator;
});
like($err, qr/NOTICE:  schema migrator is kept: cannot drop schema migrator because other objects depend on it/,
	'a schema that holds other objects is kept, and says why');
like($err, qr/WARNING:  dropped extension migrator with its history/, 'the drop with the guard off says what went');
$node->safe_psql('kept', 'DROP TABLE migrator.mine; DROP SCHEMA migrator');
# So does a schema of another role's, when the extension's owner, no longer a
# superuser, drops the extension.
$node->safe_psql('postgres', q{
	CREATE ROLE someone;
	CREATE ROLE demoted LOGIN SUPERUSER;
	CREATE DATABASE theirs;
});
$node->safe_psql('theirs', q{
	CREATE SCHEMA migrator AUTHORIZATION someone;
	SET ROLE demoted;
	CREATE EXTENSION migrator;
	RESET ROLE;
	ALTER ROLE demoted NOSUPERUSER;
});
# Its owner has lost access to its own schema: observe mode still never
# fails a statement it records (what it cannot read or write is logged).
$offset = -s $node->logfile;
($rc, $out, $err) = $node->psql('theirs', q{
	SET migrator.guard = observe;
	CREATE TABLE t (id int);
	INSERT INTO t VALUES (1);
	TRUNCATE t;
	SELECT count(*) FROM t;
});
is($rc, 0, 'observe mode: the statement runs although the catalog cannot be read') or diag($err);
is($out, '0', 'and empties the table');
like(slurp_file($node->logfile, $offset), qr/migrator could not read migrator.exemptions: permission denied for schema migrator/,
	'the exemptions that could not be read are logged');
like(slurp_file($node->logfile, $offset), qr/migrator could not record 1 event in migrator.events: permission denied for schema migrator/,
	'and the observation that could not be written');
# One statement that drops two tables is two observations.
$offset = -s $node->logfile;
($rc, $out, $err) = $node->psql('theirs', q{
	SET migrator.guard = observe;
	CREATE TABLE t2 (id int);
	CREATE TABLE t3 (id int);
	DROP TABLE t2, t3;
});
is($rc, 0, 'observe mode: a DROP of two tables runs') or diag($err);
like(slurp_file($node->logfile, $offset), qr/migrator could not record 2 events in migrator.events: permission denied for schema migrator/,
	'and both observations that could not be written are counted');
$node->safe_psql('theirs', 'GRANT USAGE ON SCHEMA migrator TO demoted');
# A standing exemption never lets migrator itself go, whatever the route:
# DROP OWNED BY the extension's owner, under a role's exemption.
$node->safe_psql('theirs', q{SELECT migrator.exempt(role => 'demoted', reason => 'jobs of the owner')});
($rc, $out, $err) = $node->psql('theirs', 'DROP OWNED BY demoted', extra_params => ['-U', 'demoted']);
isnt($rc, 0, 'DROP OWNED BY the owner under its exemption is refused');
like($err, qr/ERROR:  unplanned destructive statement DROP OWNED ... CASCADE on "migrator"|ERROR:  unplanned destructive statement DROP OWNED on "migrator"/,
	'at the extension, which only allow() lets go') or diag($err);
is($node->safe_psql('theirs', q{SELECT count(*) FROM pg_extension WHERE extname = 'migrator'}),
	'1', 'the extension is still there');
($rc, $out, $err) = $node->psql('theirs', q{
	BEGIN;
	SELECT migrator.allow('DROP EXTENSION migrator', reason => 'uninstall');
	DROP EXTENSION migrator;
	COMMIT;
}, extra_params => ['-U', 'demoted']);
is($rc, 0, 'the extension\'s owner may drop it') or diag($err);
like($err, qr/NOTICE:  schema migrator is kept: it belongs to another role/,
	'a schema of another role is kept');
is($node->safe_psql('theirs', q{SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'migrator'}),
	'someone', 'and is still there');
$node->safe_psql('theirs', 'DROP SCHEMA migrator');

my $with_extension = '';
for my $db (split /\n/, $node->safe_psql('postgres', 'SELECT datname FROM pg_database WHERE datallowconn'))
{
	$with_extension .= $node->safe_psql($db,
		q{SELECT current_database() FROM pg_extension WHERE extname = 'migrator'});
}
is($with_extension, '', 'no database has the extension any more');
is($node->safe_psql('postgres', $labelled), '', 'and none is labelled');
$node->append_conf('postgresql.conf', "shared_preload_libraries = ''\n");
$node->restart;
is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'), '', 'the library is no longer preloaded');
is($node->safe_psql('shop', q{SELECT count(*) FROM pg_settings WHERE name LIKE 'migrator.%'}),
	'0', 'the server runs without it: no session defines its settings');
$node->stop;

# --- without shared_preload_libraries ---------------------------------------
my $lazy = PostgreSQL::Test::Cluster->new('lazy');
$lazy->init;
$lazy->append_conf('postgresql.conf', "lc_messages = 'C'\n");
$lazy->start;
($rc, $out, $err) = $lazy->psql('postgres', 'CREATE EXTENSION migrator');
is($rc, 0, 'CREATE EXTENSION without the library preloaded succeeds');
like($err, qr/WARNING:  migrator is not in shared_preload_libraries/, 'with a warning');
like($err, qr/HINT:  Add migrator to shared_preload_libraries/, 'and the way to fix it');
is(scalar(() = $err =~ /WARNING:/g), 1, 'one warning, not one per module');
($rc, $out, $err) = $lazy->psql('postgres', 'SELECT migrator.check_preload()');
is($out, 'f', 'check_preload() says false');
for my $call (
	q{BEGIN; SELECT migrator.allow('DROP TABLE nothing', reason => 'test'); ROLLBACK},
	q{SELECT count(*) FROM migrator.guard_report()},
	q{SELECT migrator.exempt(role => 'postgres', rule => 'truncate', reason => 'test')},
	q{SELECT migrator.unexempt(1, reason => 'test')})
{
	($rc, $out, $err) = $lazy->psql('postgres', $call);
	like($err, qr/WARNING:  migrator is not preloaded/, "warns: $call");
}
$lazy->stop;

my $preloaded = migrator_node('preloaded', no_extension => 1);
($rc, $out, $err) = $preloaded->psql('postgres',
	'CREATE EXTENSION migrator; SELECT migrator.check_preload()');
is($out, 't', 'preloaded: check_preload() says true');
unlike($err, qr/not preloaded|not in shared_preload_libraries/, 'and nothing warns');
$preloaded->stop;

done_testing();
