-- migrator.baseline(): mark a registered migration applied without running it.
CREATE DATABASE migrator_baseline;
\c migrator_baseline
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
CREATE SCHEMA app;

-- a history another tool already applied: its tables exist
CREATE TABLE app.users (id int PRIMARY KEY);
SELECT version FROM migrator.register('1', 'CREATE TABLE app.users (id int PRIMARY KEY)', 'DROP TABLE app.users', plan => 'undo of 1', kind => 'destructive');
SELECT version FROM migrator.register('2', 'CREATE TABLE app.orders (id int PRIMARY KEY)', 'DROP TABLE app.orders', plan => 'undo of 2', kind => 'destructive');

-- marking 1 applied runs nothing (running it would fail: the table exists)
SELECT migrator.baseline('1', 'adopted from dbmate');
SELECT version, state, applied_by = current_user AS by_me, applied_at IS NOT NULL AS has_time
  FROM migrator.status();
SELECT version, action, migration_type, outcome, detail
  FROM migrator.events WHERE action = 'apply' ORDER BY id;

-- again: a no-op that says so, and writes no second event
SELECT migrator.baseline('1');
SELECT count(*) AS apply_events FROM migrator.events WHERE action = 'apply';

-- apply() goes on from there: only 2 runs
SELECT version, outcome FROM migrator.apply();
SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'app';

-- a baselined migration rolls back like any other: its down script runs
SELECT version FROM migrator.rollback(2);
SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'app';

-- refused: a version that is not registered, NULL, blank
SELECT migrator.baseline('99');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.baseline(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.baseline(' ');
\echo :LAST_ERROR_SQLSTATE
-- without a reason the detail still says nothing ran
SELECT migrator.baseline('2');
SELECT detail FROM migrator.events WHERE action = 'apply' ORDER BY id DESC LIMIT 1;

-- in a read-only transaction it is refused
BEGIN READ ONLY;
SELECT migrator.baseline('1');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- nobody without a grant may call it, even with USAGE on the schema
CREATE ROLE migrator_baseline_nobody;
GRANT USAGE ON SCHEMA migrator TO migrator_baseline_nobody;
SET ROLE migrator_baseline_nobody;
SELECT migrator.baseline('1');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE USAGE ON SCHEMA migrator FROM migrator_baseline_nobody;
-- cleanup of the test role: not a migration, so with the guard off
SET migrator.guard = off;
DROP ROLE migrator_baseline_nobody;
