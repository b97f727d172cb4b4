# pg_dump / pg_restore (also --clean) keeps history and checksums intact.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('dump');
$node->safe_psql('postgres', q{
	CREATE SCHEMA app;
	SELECT migrator.register('1', 'CREATE TABLE app.a (id int PRIMARY KEY)', 'DROP TABLE app.a');
	SELECT migrator.register('2', 'ALTER TABLE app.a ADD COLUMN v text; UPDATE app.a SET v = id::text', 'ALTER TABLE app.a DROP COLUMN v');
	SELECT migrator.register('3', 'CREATE TABLE app.c (id int)', 'DROP TABLE app.c');
	SELECT count(*) FROM migrator.apply('2');
	SELECT count(*) FROM migrator.verify();
});

my $history = q{
	SELECT string_agg(version || '|' || state || '|' || checksum || '|' || kind || '|' || coalesce(apply_seq::text, '-'), ',' ORDER BY version)
	  FROM migrator.migrations
};
my $events = q{SELECT string_agg(id || action || coalesce(version, ''), ',' ORDER BY id) FROM migrator.events};
my $before_history = $node->safe_psql('postgres', $history);
my $before_events = $node->safe_psql('postgres', $events);

my $dump = $node->basedir . '/db.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('postgres'), '-f', $dump ], 'pg_dump');

$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored'), $dump ], 'pg_restore into a fresh database');
is($node->safe_psql('restored', $history), $before_history, 'history and checksums survive');
is($node->safe_psql('restored', $events), $before_events, 'events survive');
is($node->safe_psql('restored', 'SELECT count(*) FROM migrator.drift()'), '0',
	'drift() sees no change after the restore');
is($node->safe_psql('restored', q{SELECT string_agg(version || '=' || ok, ',') FROM migrator.verify()}),
	'1=true,2=true', 'verify() passes on the restored database');
is($node->safe_psql('restored', q{SELECT string_agg(version, ',') FROM migrator.apply()}),
	'3', 'the restored database applies what is still pending');
ok($node->safe_psql('restored', q{SELECT max(id) FROM migrator.events}) >
	$node->safe_psql('postgres', q{SELECT max(id) FROM migrator.events}),
	'the event id sequence continues after the restored rows');

# --clean over a database restored from the same dump and used since
# (a registration), as when a restore is repeated.
$node->safe_psql('postgres', 'CREATE DATABASE restored2');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored2'), $dump ], 'pg_restore into restored2');
$node->safe_psql('restored2', q{SELECT migrator.register('4', 'SELECT 1')});
# --clean drops the extension first: the guard refuses that, so a restore
# over an existing database runs with the guard off (a superuser setting).
$node->command_fails([ 'pg_restore', '--clean', '--if-exists', '--exit-on-error', '-d', $node->connstr('restored2'), $dump ],
	'pg_restore --clean with the guard on is refused (it drops the extension)');
{
	local $ENV{PGOPTIONS} = '-c migrator.guard=off';
	$node->command_ok([ 'pg_restore', '--clean', '--if-exists', '-d', $node->connstr('restored2'), $dump ],
		'pg_restore --clean over an existing database, with migrator.guard = off');
}
is($node->safe_psql('restored2', $history), $before_history, 'history after --clean matches the dump');
is($node->safe_psql('restored2', $events), $before_events, 'events after --clean match the dump');

# A realistic application database restored with the guard on, by a
# superuser, into empty databases: plain, parallel (-j truncates each table
# before COPY) and single-transaction.  Serial columns, a partitioned table,
# an inheritance child that dropped an inherited default (pg_dump writes
# SET DEFAULT NULL), a disabled trigger (CREATE TRIGGER then ALTER TABLE
# ... DISABLE TRIGGER), a view, data, and a table with rows, row security,
# a policy and a grant (a restore enables row security in a transaction of
# its own before it creates the policies, and grants last: no reader is held
# back by row security meanwhile, so rls_without_policy does not fire).
$node->safe_psql('postgres', 'CREATE DATABASE shop');
$node->safe_psql('shop', q{
	CREATE EXTENSION migrator;
	CREATE SCHEMA shop;
	CREATE TABLE shop.customers (id bigserial PRIMARY KEY, name text NOT NULL);
	CREATE TABLE shop.orders (id int GENERATED ALWAYS AS IDENTITY, customer bigint REFERENCES shop.customers,
		placed date NOT NULL, total numeric) PARTITION BY RANGE (placed);
	CREATE TABLE shop.orders_2024 PARTITION OF shop.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
	CREATE TABLE shop.orders_2025 PARTITION OF shop.orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
	CREATE TABLE shop.log (id int, v text DEFAULT 'p');
	CREATE TABLE shop.log_child () INHERITS (shop.log);
	CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
	CREATE VIEW shop.big AS SELECT * FROM shop.orders WHERE total > 100;
	INSERT INTO shop.customers (name) SELECT 'c' || g FROM generate_series(1, 100) g;
	INSERT INTO shop.orders (customer, placed, total)
		SELECT 1 + g % 100, date '2024-06-01' + g, g FROM generate_series(1, 500) g;
	INSERT INTO shop.log VALUES (1, 'a');
	INSERT INTO shop.log_child VALUES (2, 'b');
	CREATE ROLE shop_reader;
	CREATE TABLE shop.notes (id int PRIMARY KEY, owner name, body text);
	INSERT INTO shop.notes VALUES (1, 'shop_reader', 'n'), (2, 'other', 'm');
});
$node->safe_psql('shop', q{
	BEGIN;
	ALTER TABLE shop.notes ENABLE ROW LEVEL SECURITY;
	CREATE POLICY own ON shop.notes USING (owner = current_user);
	COMMIT;
	GRANT SELECT ON shop.notes TO shop_reader;
});
# Disabling a trigger in the transaction that created it is exempt.
$node->safe_psql('shop', q{
	BEGIN;
	CREATE TRIGGER t_off BEFORE INSERT ON shop.customers FOR EACH ROW EXECUTE FUNCTION shop.touch();
	ALTER TABLE shop.customers DISABLE TRIGGER t_off;
	COMMIT;
});
$node->safe_psql('shop', q{
	SET migrator.guard = off;  -- the dump must contain SET DEFAULT NULL for the child
	ALTER TABLE ONLY shop.log_child ALTER COLUMN v DROP DEFAULT;
});
my $shop_state = q{
	SELECT (SELECT count(*) FROM shop.customers) || ',' || (SELECT count(*) FROM shop.orders) || ','
	    || (SELECT count(*) FROM shop.log) || ','
	    || (SELECT tgenabled::text FROM pg_trigger WHERE tgname = 't_off') || ','
	    || coalesce((SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef
	                  WHERE adrelid = 'shop.log_child'::regclass), 'no default') || ','
	    || (SELECT relrowsecurity::text FROM pg_class WHERE oid = 'shop.notes'::regclass) || ','
	    || (SELECT count(*) FROM pg_policy WHERE polrelid = 'shop.notes'::regclass) || ','
	    || (SELECT count(*) FROM migrator.events WHERE action = 'block')
};
my $shop_before = $node->safe_psql('shop', $shop_state);
like($shop_before, qr/^100,500,2,D,no default,true,1,0$/, 'the shop database as built');
my $shop_dump = $node->basedir . '/shop.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('shop'), '-f', $shop_dump ], 'pg_dump of shop');
for my $how ([ 'plain', [] ], [ 'parallel', [ '-j', '2' ] ], [ 'single', [ '-1' ] ])
{
	my ($name, $opts) = @$how;
	$node->safe_psql('postgres', "CREATE DATABASE shop_$name");
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pg_restore', @$opts, '-d', $node->connstr("shop_$name"), $shop_dump ],
		'>', \$out, '2>', \$err);
	unlike($err, qr/unplanned destructive/, "$name restore: nothing refused by the guard")
	  or diag($err);
	is($node->safe_psql("shop_$name", $shop_state), $shop_before,
		"$name restore: rows, the disabled trigger, the dropped inherited default, row security and its policy restored");
}

$node->stop;
done_testing();
