-- migrator.rollback() and rollback_to().
CREATE DATABASE migrator_rollback;
\c migrator_rollback
CREATE EXTENSION migrator;
\set SHOW_CONTEXT errors
CREATE SCHEMA app;

SELECT count(*) FROM (
  SELECT migrator.register('1', 'CREATE TABLE app.a (id int)', 'DROP TABLE app.a')
  UNION ALL SELECT migrator.register('2', 'ALTER TABLE app.a ADD COLUMN b int', 'ALTER TABLE app.a DROP COLUMN b')
  UNION ALL SELECT migrator.register('3', 'CREATE TABLE app.c (id int)', 'DROP TABLE app.c')
  UNION ALL SELECT migrator.register('4', 'CREATE TABLE app.d (id int)', 'DROP TABLE app.d')
) s;
SELECT version FROM migrator.apply();

-- one step by default: the most recently applied
SELECT version, kind, outcome FROM migrator.rollback();
SELECT to_regclass('app.d') IS NULL AS d_dropped;
SELECT version, state, applied_at IS NULL AS no_applied_at FROM migrator.status();

-- order of application, not of versions: apply 4 again, then roll back two
SELECT version FROM migrator.apply();
SELECT version FROM migrator.rollback(2);
SELECT version, state FROM migrator.status();

-- NULL, negative, and more than applied are errors; 0 does nothing
SELECT * FROM migrator.rollback(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM migrator.rollback(-1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM migrator.rollback(3);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM migrator.rollback(0);

-- a migration without a down script stops the rollback before anything runs
SELECT version FROM migrator.register('5', 'CREATE TABLE app.e (id int)');
SELECT version FROM migrator.apply();
SELECT * FROM migrator.rollback(3);
\echo :LAST_ERROR_SQLSTATE
SELECT version, state FROM migrator.status();
SELECT to_regclass('app.a') IS NOT NULL AS a_still_there;

-- the missing down script can be added to the applied migration
SELECT version, state FROM migrator.register('5', 'CREATE TABLE app.e (id int)', 'DROP TABLE app.e');

-- rollback_to keeps its target and undoes what came after it
SELECT * FROM migrator.rollback_to(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM migrator.rollback_to('nope');
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrator.rollback_to('3');
SELECT version, state FROM migrator.status();
SELECT * FROM migrator.rollback_to('4');
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrator.apply();

-- a failing down script: error names it, nothing is rolled back
-- (it fails after dropping what the up script created: a down script that
-- drops what its up script did not create would make the migration
-- destructive, needing a plan)
SELECT version FROM migrator.register('6', 'CREATE TABLE app.f (id int)', 'DROP TABLE app.f; SELECT 1/0');
SELECT version FROM migrator.apply();
SELECT * FROM migrator.rollback();
\echo :LAST_ERROR_SQLSTATE
SELECT version, state FROM migrator.status() WHERE version = '6';

-- fix the down script, then all the way down with rollback(n), n = number
-- applied, in the caller's transaction
SELECT version FROM migrator.register('6', 'CREATE TABLE app.f (id int)', 'DROP TABLE app.f');
BEGIN;
SELECT string_agg(version, ',') FROM migrator.rollback(6);
SELECT count(*) AS app_tables FROM pg_tables WHERE schemaname = 'app';
ROLLBACK;
SELECT string_agg(version, ',') FROM migrator.rollback(6);
SELECT count(*) AS app_tables FROM pg_tables WHERE schemaname = 'app';
SELECT version, action, outcome FROM migrator.events WHERE action = 'rollback' ORDER BY id;
