-- The guard: unplanned destructive DDL is refused whoever sends it and
-- however it is wrapped; planned, allowed and exempt statements run.
CREATE DATABASE migrator_guard;
\c migrator_guard
CREATE EXTENSION migrator;
CREATE ROLE guard_dev LOGIN;
CREATE SCHEMA app AUTHORIZATION guard_dev;
SET ROLE guard_dev;
CREATE TABLE app.t (id int PRIMARY KEY, v text, w int);
INSERT INTO app.t VALUES (1, 'a', 1);  -- TRUNCATE of an empty table destroys nothing
CREATE TABLE app.legacy (id int);
CREATE TABLE app.other (id int);
CREATE TABLE app.m1 (id int);
CREATE TABLE app.m3 (id int);
CREATE TABLE app.m4 (id int);
CREATE VIEW app.old_view AS SELECT id FROM app.t;
RESET ROLE;

-- One refusal in full: SQLSTATE, statement kind and object, rule, hint.
DROP TABLE app.t;
\echo :LAST_ERROR_SQLSTATE
-- The refusal is recorded although its transaction rolled back.
SELECT version, action, migration_type, outcome, role, database, rule, statement, detail
  FROM migrator.events WHERE action = 'block';

\set VERBOSITY terse
-- Every kind of statement in the rule table that the hook sees.
DROP VIEW app.old_view;
TRUNCATE app.t;
ALTER TABLE app.t DROP COLUMN v;
ALTER TABLE app.t ALTER COLUMN v DROP DEFAULT;
ALTER TABLE app.t ALTER COLUMN w TYPE smallint;
ALTER TABLE app.t RENAME TO t2;
ALTER TABLE app.t RENAME COLUMN v TO v2;
ALTER SCHEMA app RENAME TO app2;
ALTER TABLE app.t SET SCHEMA public;
ALTER TABLE app.t DISABLE TRIGGER ALL;
DROP SCHEMA app CASCADE;
DROP OWNED BY guard_dev;
-- Not destructive: runs.
ALTER TABLE app.t ADD COLUMN added int;
ALTER TABLE app.t ALTER COLUMN v TYPE text;

-- Attack: several statements in one query string.
SELECT 1 AS one \; DROP TABLE app.legacy;
\echo :LAST_ERROR_SQLSTATE
-- Attack: DO block.
DO $$ BEGIN DROP TABLE app.legacy; END $$;
\echo :LAST_ERROR_SQLSTATE
-- Attack: EXECUTE in PL/pgSQL, with the name built at run time.
DO $$ BEGIN EXECUTE 'DROP TABLE app.' || 'legacy'; END $$;
\echo :LAST_ERROR_SQLSTATE
-- Attack: a PL/pgSQL function, a SQL function, a procedure.
CREATE FUNCTION app.wipe() RETURNS void LANGUAGE plpgsql AS $$ BEGIN TRUNCATE app.t; END $$;
SELECT app.wipe();
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION app.wipe_sql() RETURNS void LANGUAGE sql AS $$ TRUNCATE app.t $$;
SELECT app.wipe_sql();
\echo :LAST_ERROR_SQLSTATE
CREATE PROCEDURE app.drop_col() LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE app.t DROP COLUMN w; END $$;
CALL app.drop_col();
\echo :LAST_ERROR_SQLSTATE
-- Attack: a SECURITY DEFINER function owned by a superuser, called by an
-- ordinary role.
CREATE FUNCTION app.definer_drop() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog AS $$ BEGIN DROP TABLE app.legacy; END $$;
GRANT EXECUTE ON FUNCTION app.definer_drop() TO guard_dev;
SET ROLE guard_dev;
SELECT app.definer_drop();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Attack: CASCADE.
DROP TABLE app.t CASCADE;
\echo :LAST_ERROR_SQLSTATE
-- Attack: ALTER TABLE with several subcommands, the destructive one last.
ALTER TABLE app.t ADD COLUMN x int, ALTER COLUMN v SET NOT NULL, DROP COLUMN w;
\echo :LAST_ERROR_SQLSTATE
-- Attack: session_replication_role = replica (skips ordinary triggers).
SET session_replication_role = replica;
DROP TABLE app.legacy;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM migrator.events;
\echo :LAST_ERROR_SQLSTATE
RESET session_replication_role;
-- Attack: a CASCADE victim behind an exempt target.  The new table may go,
-- but the old view, now reading it, goes only with it: the sql_drop event
-- trigger sees that.
BEGIN;
CREATE TABLE app.fresh (id int);
CREATE OR REPLACE VIEW app.old_view AS SELECT id FROM app.fresh;
\set VERBOSITY default
DROP TABLE app.fresh CASCADE;
\set VERBOSITY terse
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
-- Attack: an old table touched in this transaction (its pg_class row gets
-- a new version) is not "new".
BEGIN;
CREATE INDEX legacy_id ON app.legacy (id);
DROP TABLE app.legacy;
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE

-- Attack: an ordinary role switching the guard off, every way it can.
SET ROLE guard_dev;
SET migrator.guard = off;
\echo :LAST_ERROR_SQLSTATE
SET LOCAL migrator.guard = off;
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('migrator.guard', 'off', false);
\echo :LAST_ERROR_SQLSTATE
RESET migrator.guard;
\echo :LAST_ERROR_SQLSTATE
ALTER ROLE guard_dev SET migrator.guard = off;
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION app.guard_off() RETURNS void LANGUAGE sql SET migrator.guard = off AS 'SELECT';
\echo :LAST_ERROR_SQLSTATE
ALTER SYSTEM SET migrator.guard = off;
\echo :LAST_ERROR_SQLSTATE
SHOW migrator.guard;
RESET ROLE;

-- Attack: the extension's own objects and history.
DROP EXTENSION migrator;
\echo :LAST_ERROR_SQLSTATE
DROP EVENT TRIGGER migrator_guard;
\echo :LAST_ERROR_SQLSTATE
ALTER EVENT TRIGGER migrator_guard DISABLE;
\echo :LAST_ERROR_SQLSTATE
ALTER EVENT TRIGGER migrator_guard ENABLE REPLICA;
\echo :LAST_ERROR_SQLSTATE
ALTER EVENT TRIGGER migrator_guard ENABLE;
\echo :LAST_ERROR_SQLSTATE
ALTER EVENT TRIGGER migrator_guard RENAME TO something_else;
\echo :LAST_ERROR_SQLSTATE
ALTER EVENT TRIGGER migrator_guard OWNER TO guard_dev;
\echo :LAST_ERROR_SQLSTATE
DROP FUNCTION migrator.guard_ddl_start() CASCADE;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE migrator.events DISABLE TRIGGER protect_history;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE migrator.events ENABLE TRIGGER protect_history;
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER protect_history ON migrator.events;
\echo :LAST_ERROR_SQLSTATE
CREATE OR REPLACE FUNCTION migrator.protect_history() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
\echo :LAST_ERROR_SQLSTATE
CREATE TRIGGER hide BEFORE INSERT ON migrator.events
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
\echo :LAST_ERROR_SQLSTATE
CREATE RULE keep AS ON DELETE TO migrator.events DO INSTEAD NOTHING;
\echo :LAST_ERROR_SQLSTATE
ALTER SEQUENCE migrator.events_id_seq RESTART;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE migrator.events;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM migrator.events;
\echo :LAST_ERROR_SQLSTATE
UPDATE migrator.migrations SET state = 'applied';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS tables_left FROM pg_tables WHERE schemaname = 'app';
SELECT evtenabled FROM pg_event_trigger WHERE evtname = 'migrator_guard';

-- Allowed: temporary objects, and objects created in this transaction.
CREATE TEMP TABLE scratch (id int, v text);
ALTER TABLE scratch DROP COLUMN v;
TRUNCATE scratch;
DROP TABLE scratch;
BEGIN;
CREATE TABLE app.staging (id int, v text);
CREATE INDEX staging_id ON app.staging (id);
ALTER TABLE app.staging DROP COLUMN v, ALTER COLUMN id DROP NOT NULL;
ALTER TABLE app.staging RENAME TO staging2;
TRUNCATE app.staging2;
DROP TABLE app.staging2;
CREATE SCHEMA scratch_schema CREATE TABLE s (id int) CREATE VIEW sv AS SELECT id FROM s;
DROP SCHEMA scratch_schema CASCADE;
CREATE FUNCTION app.fresh_f() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP FUNCTION app.fresh_f();
COMMIT;
-- Allowed: an invalid index (a failed CREATE INDEX CONCURRENTLY leaves one;
-- no query uses it).  A valid one is guarded.
INSERT INTO app.legacy VALUES (1), (1);
CREATE UNIQUE INDEX CONCURRENTLY legacy_unique ON app.legacy (id);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'app.legacy_unique'::regclass;
DROP INDEX CONCURRENTLY app.legacy_unique;
CREATE INDEX legacy_plain ON app.legacy (id);
DROP INDEX app.legacy_plain;

-- Allowed: a registered destructive migration, applied and rolled back.
SELECT version, kind FROM migrator.register('1', 'DROP TABLE app.m1',
    down => 'CREATE TABLE app.m1 (id int)', plan => 'm1 is unused since 2024');
SELECT version, outcome FROM migrator.apply();
SELECT version, outcome FROM migrator.rollback();
SELECT version, outcome FROM migrator.apply();
-- An additive migration's down script drops what it created.
SELECT version, kind FROM migrator.register('2', 'CREATE TABLE app.added (id int)',
    down => 'DROP TABLE app.added');
SELECT version, outcome FROM migrator.apply();
SELECT version, outcome FROM migrator.rollback();
-- A script declares its statements; what the register step could not see
-- (dynamic SQL) is judged like any other statement.
SELECT version, kind FROM migrator.register('3',
    'DO $$ BEGIN EXECUTE ''DROP TABLE app.m3''; END $$',
    down => 'CREATE TABLE app.m3 (id int)', plan => 'dynamic', kind => 'destructive');
SELECT version, outcome FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
-- ... unless the script allows it itself, which is recorded.
SELECT version, kind FROM migrator.register('3',
    'SELECT migrator.allow(''DROP TABLE app.m3'', reason => ''dynamic drop in migration 3'');
     DO $$ BEGIN EXECUTE ''DROP TABLE app.m3''; END $$',
    down => 'CREATE TABLE app.m3 (id int)', plan => 'dynamic', kind => 'destructive');
SELECT version, outcome FROM migrator.apply();
SELECT version, action, rule, statement, detail FROM migrator.events WHERE action = 'allow';
-- A migration does not cover another object than it declares, even
-- through a function its script calls.
CREATE FUNCTION app.sneaky() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP VIEW app.old_view; END $$;
SELECT version, kind FROM migrator.register('4', 'DROP TABLE app.m4; SELECT app.sneaky()',
    down => 'CREATE TABLE app.m4 (id int)', plan => 'sneaky');
SELECT version, outcome FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS m4_kept FROM pg_tables WHERE tablename = 'm4';
-- Refusals inside a migration are recorded with its version.
SELECT version, migration_type, rule, statement FROM migrator.events
 WHERE action = 'block' AND version IS NOT NULL ORDER BY id;

-- Allowed: an explicit allowance, for this transaction and these objects.
BEGIN;
SELECT migrator.allow('DROP TABLE app.legacy', reason => 'retired in ticket 42');
DROP TABLE app.other;
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT migrator.allow('DROP TABLE app.legacy', reason => 'retired in ticket 42');
DROP TABLE app.legacy;
COMMIT;
SELECT action, outcome, rule, role, statement, detail FROM migrator.events
 WHERE action = 'allow' AND version IS NULL;
-- It ends with the transaction, and with a rolled-back savepoint.
DROP TABLE app.other;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SAVEPOINT s;
SELECT migrator.allow('DROP TABLE app.other', reason => 'try');
ROLLBACK TO s;
DROP TABLE app.other;
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
-- Allowances need a reason and a destructive utility statement; ordinary
-- roles need EXECUTE.
SELECT migrator.allow('DROP TABLE app.other');
SELECT migrator.allow('DROP TABLE app.other', reason => ' ');
SELECT migrator.allow('CREATE TABLE app.z ()', reason => 'no');
SELECT migrator.allow('DELETE FROM app.other', reason => 'no');
SET ROLE guard_dev;
SELECT migrator.allow('DROP TABLE app.other', reason => 'mine');
RESET ROLE;

-- warn lets the statement run with a WARNING; off lets it run silently.
SET migrator.guard = warn;
DROP VIEW app.old_view;
SET migrator.guard = off;
TRUNCATE app.t;
RESET migrator.guard;

-- Inert where the extension is not installed, in this same session too.
BEGIN;
SELECT migrator.allow('DROP EXTENSION migrator', reason => 'uninstall');
DROP EXTENSION migrator;
DROP TABLE app.other;
CREATE EXTENSION migrator;
DROP TABLE app.t;
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS tables_left FROM pg_tables WHERE schemaname = 'app';
-- One events row per refusal in enforce mode, by rule.
SELECT rule, count(*) FROM migrator.events WHERE action = 'block' GROUP BY rule ORDER BY rule;

\c postgres
SET migrator.guard = off;
DROP DATABASE migrator_guard;
DROP ROLE guard_dev;
