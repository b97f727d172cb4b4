-- migrator.apply(): order, target, refusals, all-or-nothing.
CREATE DATABASE migrator_apply;
\c migrator_apply
CREATE EXTENSION migrator;
\set SHOW_CONTEXT errors
CREATE SCHEMA app;

-- natural version order, whatever the registration order
SELECT version FROM migrator.register('10', 'CREATE TABLE app.t10 (id int)', 'DROP TABLE app.t10');
SELECT version FROM migrator.register('2', 'CREATE TABLE app.t2 (id int)', 'DROP TABLE app.t2');
SELECT version FROM migrator.register('1.10', 'CREATE TABLE app.t1_10 (id int)', 'DROP TABLE app.t1_10');
SELECT version FROM migrator.register('1.9', 'CREATE TABLE app.t1_9 (id int)', 'DROP TABLE app.t1_9');
SELECT version FROM migrator.register('11', '-- only comments: a no-op here', '');
SELECT version, state FROM migrator.status();
SELECT v FROM unnest(ARRAY['b', 'a10', 'a9', '01', '1', '1.0', '1-0', 'a', '',
                           '20190100000002000000', '20190100000001000000', '9']) AS v
 ORDER BY migrator.version_key(v), v;

-- up to a target
SELECT version, kind, outcome, duration >= '0' AS timed FROM migrator.apply('1.10');
SELECT version, state, applied_by = current_user AS by_me FROM migrator.status();
-- an unknown target is refused
SELECT * FROM migrator.apply('99');
\echo :LAST_ERROR_SQLSTATE

-- the rest
SELECT version, outcome FROM migrator.apply();
SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'app';
-- nothing pending: nothing to do
SELECT count(*) FROM migrator.apply();
SELECT version, action, migration_type, outcome FROM migrator.events WHERE action = 'apply' ORDER BY id;

-- a failing migration: the error names version and statement, keeps its
-- SQLSTATE, and nothing of the call remains (the first one ran fine)
SELECT version FROM migrator.register('21', 'CREATE TABLE app.t21 (id int)', 'DROP TABLE app.t21');
SELECT version FROM migrator.register('22', 'CREATE TABLE app.t22 (id int);
INSERT INTO app.t22 VALUES (1);
INSERT INTO app.t22 VALUES (1/0)', 'DROP TABLE app.t22');
SELECT * FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
SELECT version, state FROM migrator.status() WHERE version IN ('21', '22');
SELECT to_regclass('app.t21') IS NULL AS t21_absent, to_regclass('app.t22') IS NULL AS t22_absent;
-- an error with a position reports it inside the statement
SELECT version FROM migrator.register('22', 'CREATE TABLE app.t22 (id int);
SELECT nosuchcolumn FROM app.t22', 'DROP TABLE app.t22');
SELECT * FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrator.register('22', 'CREATE TABLE app.t22 (id int)', 'DROP TABLE app.t22');

-- in the caller's transaction: a ROLLBACK undoes schema and history together
BEGIN;
SELECT version FROM migrator.apply();
SELECT to_regclass('app.t22') IS NOT NULL AS t22_exists;
ROLLBACK;
SELECT version, state FROM migrator.status() WHERE version IN ('21', '22');
SELECT to_regclass('app.t22') IS NULL AS t22_absent;
SELECT version FROM migrator.apply();

-- a pending version older than the newest applied one
SELECT version FROM migrator.register('15', 'CREATE TABLE app.t15 (id int)', 'DROP TABLE app.t15');
SELECT * FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrator.apply(allow_out_of_order => true);

-- non-transactional migrations are refused here
SELECT version FROM migrator.register('30', 'CREATE INDEX CONCURRENTLY t21_id ON app.t21 (id)',
                                      'DROP INDEX CONCURRENTLY app.t21_id', transactional => false);
SELECT * FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE

-- an applied migration cannot be changed
SELECT migrator.register('21', 'CREATE TABLE app.t21 (id bigint)', 'DROP TABLE app.t21');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('21', 'CREATE TABLE app.t21 (id int)', 'DROP TABLE app.t21', kind => 'staged');
\echo :LAST_ERROR_SQLSTATE
-- with the same up script, down, verify, name and plan may be corrected
SELECT version, state, down FROM migrator.register('21', 'CREATE TABLE app.t21 (id int)', 'DROP TABLE IF EXISTS app.t21');
SELECT detail FROM migrator.events WHERE version = '21' ORDER BY id DESC LIMIT 1;
-- the same content again is fine
SELECT state FROM migrator.register('21', 'CREATE TABLE app.t21 (id int)', 'DROP TABLE IF EXISTS app.t21');

-- settings changed by a migration end with it
SELECT version FROM migrator.rollback_to('22');
SELECT version FROM migrator.register('23', 'SET search_path = app; SET work_mem = ''7MB''; CREATE TABLE t23 (id int)', 'DROP TABLE app.t23');
SHOW work_mem;
SELECT version FROM migrator.apply('23', allow_out_of_order => true);
SHOW work_mem;
SHOW search_path;
SELECT to_regclass('app.t23') IS NOT NULL AS created_in_app;

-- migrator cannot be called from inside a migration
SELECT version FROM migrator.register('24', 'SELECT * FROM migrator.apply()', '');
SELECT * FROM migrator.apply('24');
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrator.register('24', 'SELECT migrator.register(''x'', '''')', '');
SELECT * FROM migrator.apply('24');
\echo :LAST_ERROR_SQLSTATE
