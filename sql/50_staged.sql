-- Staged changes: what stage() accepts and refuses, and the lifecycle in
-- the caller's transaction (apply(), rollback()).  Concurrent clients,
-- deploy(), complete(), abort() and crashes: test/t/05*_staged*.pl.
CREATE DATABASE migrator_staged_changes;
\c migrator_staged_changes
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
-- deploy()'s notices carry durations
SET client_min_messages = warning;

CREATE SCHEMA app;
CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL, legacy int NOT NULL);
CREATE VIEW app.names AS SELECT legacy FROM app.users;
SELECT version FROM migrator.register('1', 'SELECT 1', 'SELECT 1');
SELECT version FROM migrator.apply();

-- Not a change stage() runs: the error lists what it runs.
SELECT migrator.stage('2', 'DROP TABLE app.users');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.stage('2', 'ALTER TABLE app.users ADD PRIMARY KEY (id)');
SELECT migrator.stage('2', 'ALTER TABLE ONLY app.users RENAME COLUMN name TO full_name');
SELECT migrator.stage('2', 'ALTER TABLE app.users ALTER COLUMN name SET NOT NULL, ADD CHECK (id > 0)');
SELECT migrator.stage('2', 'ALTER TABLE app.users ADD CONSTRAINT c CHECK (id > 0) NOT VALID');
SELECT migrator.stage('2', 'ALTER TABLE app.users DROP COLUMN legacy CASCADE');
SELECT migrator.stage('2', 'ALTER TABLE app.users RENAME COLUMN name TO a; ALTER TABLE app.users RENAME COLUMN a TO b');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.stage('2', 'ALTER TABLE app.users ADD COLUMN n serial');
\echo :LAST_ERROR_SQLSTATE

-- up and down: one expression for one column, assignments for several.
SELECT migrator.stage('2', 'ALTER TABLE app.users RENAME COLUMN name TO full_name', up => 'name');
SELECT migrator.stage('2', 'ALTER TABLE app.users ALTER COLUMN name TYPE varchar(10)', up => 'name FROM app.users');
SELECT migrator.stage('2', 'ALTER TABLE app.users ALTER COLUMN name TYPE varchar(10)', up => '1; DROP TABLE app.users');
SELECT migrator.stage('2', 'ALTER TABLE app.users ADD COLUMN a text, ADD COLUMN b text, DROP COLUMN name',
  up => 'split_part(name, '' '', 1)');
SELECT migrator.stage('2', 'ALTER TABLE app.users ADD COLUMN a text, ADD COLUMN b text, DROP COLUMN name',
  up => 'a = 1, c = 2');
SELECT migrator.stage('2', 'ALTER TABLE app.users ADD COLUMN a text, ADD COLUMN b text, DROP COLUMN name',
  up => 'a = 1, a = 2');
SELECT migrator.stage('2', 'ALTER TABLE app.users ALTER COLUMN id TYPE bigint USING id::bigint', up => 'id::bigint');
SELECT migrator.stage('2', 'ALTER TABLE app.users ALTER COLUMN name SET NOT NULL', down => '''x''');

-- Checked against the table when it exists.
SELECT migrator.stage('2', 'ALTER TABLE app.users RENAME COLUMN nosuch TO x');
SELECT migrator.stage('2', 'ALTER TABLE app.users RENAME COLUMN name TO id');
SELECT migrator.stage('2', 'ALTER TABLE app.users ALTER COLUMN name TYPE int');
-- (down is analysed when the change expands: the new column exists then)
SELECT (migrator.stage('2', 'ALTER TABLE app.users ALTER COLUMN name TYPE int', up => 'length(name)', down => 'repeat(''x'', name)')).kind;
SELECT migrator.stage('2', 'ALTER TABLE app.users ALTER COLUMN name TYPE int', up => 'name || ''!''', down => 'name::text');
SELECT migrator.stage('2', 'ALTER TABLE app.users ALTER COLUMN id TYPE bigint');
SELECT migrator.stage('2', 'ALTER TABLE app.users DROP COLUMN legacy');
SELECT migrator.stage('2', 'ALTER TABLE app.users ALTER COLUMN name SET NOT NULL');
SELECT migrator.stage('2', 'ALTER TABLE app.users ADD COLUMN flag boolean NOT NULL');
-- A change that backfills walks its table in the order of a key: refused
-- before anything of it runs when the table has none, at stage() when the
-- table exists, else when it expands (a rename backfills nothing).
BEGIN;
SELECT version FROM migrator.register('2', 'CREATE TABLE app.nokey (a int, b text)', 'DROP TABLE app.nokey');
SELECT version FROM migrator.stage('3', 'ALTER TABLE app.nokey ALTER COLUMN a TYPE bigint');
SELECT version FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
CREATE TABLE app.nokey (a int, b text);
SELECT migrator.stage('2', 'ALTER TABLE app.nokey ALTER COLUMN a TYPE bigint');
ROLLBACK;
BEGIN;
CREATE TABLE app.nokey (a int, b text);
SELECT version FROM migrator.stage('2', 'ALTER TABLE app.nokey RENAME COLUMN b TO c');
ROLLBACK;
-- a pending change is replaced by staging it again
SELECT (migrator.stage('2', 'ALTER TABLE app.users RENAME COLUMN name TO full_name', name => 'whole names')).plan;
SELECT count(*) FROM migrator.staged_changes;

-- A rename in flight, staged through apply(): the table exists, so the
-- change stays in flight after the call.
CREATE TEMPORARY TABLE before AS SELECT * FROM migrator.schema_fingerprint();
SELECT version, kind, outcome FROM migrator.apply();
SELECT version, kind, state, stage FROM migrator.status();
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'app%' ORDER BY 1;
-- (16 and later deparse a single relation's columns unqualified: compared without)
SELECT regexp_replace(pg_get_viewdef('app_2.users'::regclass), '\musers\.', '', 'g') AS pg_get_viewdef;
SET search_path = app_2, app;
INSERT INTO users (id, full_name, legacy) VALUES (1, 'new', 0);
SET search_path = app_1, app;
INSERT INTO users (id, name, legacy) VALUES (2, 'old', 0);
RESET search_path;
SELECT * FROM app.users ORDER BY id;

-- While it is in flight: a second change of the table waits for it.
SELECT version FROM migrator.stage('3', 'ALTER TABLE app.users ADD COLUMN extra int');
SELECT version FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
-- destructive statements on it are refused as before
ALTER TABLE app.users DROP COLUMN name;
\echo :LAST_ERROR_SQLSTATE
-- complete() and abort() are procedures: they retry on lock timeout
BEGIN;
CALL migrator.complete('2');
ROLLBACK;
CALL migrator.complete('3');
\echo :LAST_ERROR_SQLSTATE
CALL migrator.abort('1');
\echo :LAST_ERROR_SQLSTATE
CALL migrator.abort('nosuch');
\echo :LAST_ERROR_SQLSTATE

-- rollback() of a change in flight aborts it: the old shape, every row.
SELECT version, outcome FROM migrator.rollback();
SELECT kind, object FROM (SELECT * FROM migrator.schema_fingerprint()
                          EXCEPT SELECT * FROM before) AS d;
SELECT kind, object FROM (SELECT * FROM before
                          EXCEPT SELECT * FROM migrator.schema_fingerprint()) AS d;
SELECT * FROM app.users ORDER BY id;
SELECT version, state, stage FROM migrator.status();

-- A fresh environment: the history creates the table and stages changes
-- of it; one apply() runs every phase, completing each (the table did not
-- exist when the call began).
\c postgres
CREATE DATABASE migrator_staged_fresh;
\c migrator_staged_fresh
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE SCHEMA app;
SELECT version FROM migrator.register('4', 'CREATE TABLE app.orders (id int PRIMARY KEY, amount int NOT NULL DEFAULT 0, first text, last text)',
  'DROP TABLE app.orders');
SELECT version FROM migrator.register('5', 'INSERT INTO app.orders VALUES (1, 10, ''Ann'', ''Lee''), (2, 20, NULL, ''Bo'')',
  'DELETE FROM app.orders', plan => 'seed rows');
SELECT version FROM migrator.stage('6', 'ALTER TABLE app.orders ALTER COLUMN amount TYPE numeric(12,2)',
  up => 'amount / 100.0', down => 'round(amount * 100)::int');
SELECT version FROM migrator.stage('7', 'ALTER TABLE app.orders ADD COLUMN name text, DROP COLUMN first, DROP COLUMN last',
  up => 'concat_ws('' '', first, last)', down => 'first = split_part(name, '' '', 1), last = split_part(name, '' '', 2)');
SELECT version FROM migrator.register('8', 'CREATE INDEX ON app.orders (name)', 'DROP INDEX app.orders_name_idx');
SELECT version, outcome FROM migrator.apply();
SELECT version, state, stage FROM migrator.status();
SELECT * FROM app.orders ORDER BY id;
SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
 WHERE table_schema = 'app' AND table_name = 'orders' ORDER BY ordinal_position;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'app%' ORDER BY 1;
SELECT version, action, migration_type, outcome, split_part(detail, ':', 1) AS phase
  FROM migrator.events WHERE version IN ('6', '7') ORDER BY id;

-- The down script a completed change wrote undoes it.
SELECT version FROM migrator.rollback_to('5');
SELECT * FROM app.orders ORDER BY id;
SELECT version, state, stage FROM migrator.status();

-- History is written only by migrator; nothing is usable by PUBLIC.
UPDATE migrator.staged_changes SET state = 'completed';
\echo :LAST_ERROR_SQLSTATE
SELECT has_function_privilege('public', 'migrator.stage(text, text, text, text, text)', 'EXECUTE') AS stage,
       has_function_privilege('public', 'migrator.complete(text, interval, integer)', 'EXECUTE') AS complete,
       has_function_privilege('public', 'migrator.abort(text, interval, integer)', 'EXECUTE') AS abort,
       has_table_privilege('public', 'migrator.staged_changes', 'SELECT') AS staged_changes;

-- Both databases are protected (CREATE EXTENSION): a superuser removes the
-- protection in each, as documented, before dropping them.
SECURITY LABEL FOR migrator ON DATABASE migrator_staged_fresh IS NULL;
\c migrator_staged_changes
SECURITY LABEL FOR migrator ON DATABASE migrator_staged_changes IS NULL;
\c postgres
SET migrator.guard = off;
DROP DATABASE migrator_staged_changes;
DROP DATABASE migrator_staged_fresh;
