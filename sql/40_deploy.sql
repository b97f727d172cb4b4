-- CALL migrator.deploy() and migrator.backfill(): settings, argument
-- checks, privileges, and a deploy of mixed migrations.
CREATE DATABASE migrator_deploy;
\c migrator_deploy
CREATE EXTENSION migrator;
\set VERBOSITY terse

-- settings and their defaults
SHOW migrator.lock_timeout;
SHOW migrator.lock_retries;
-- (the server words the range with units from 18 on: the code is shown)
\set VERBOSITY sqlstate
SET migrator.lock_timeout = 0;
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
SET migrator.lock_timeout = '1s';
SHOW migrator.lock_timeout;
RESET migrator.lock_timeout;

-- nothing executable by PUBLIC, the progress table unreadable
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'migrator'::regnamespace AND p.proname IN ('deploy', 'backfill')
 ORDER BY 1;
SELECT has_table_privilege('public', 'migrator.backfills', 'SELECT') AS public_select;

-- argument checks
CALL migrator.deploy(lock_retries => -1);
\echo :LAST_ERROR_SQLSTATE
CALL migrator.deploy(lock_timeout => '0');
\echo :LAST_ERROR_SQLSTATE
CALL migrator.deploy(target => 'nope');
\echo :LAST_ERROR_SQLSTATE
BEGIN;
CALL migrator.deploy();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
CALL migrator.backfill(NULL, 'x = 1');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE b (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, u int UNIQUE);
CALL migrator.backfill('b', 'n = 1', batch_size => 0);
\echo :LAST_ERROR_SQLSTATE
CALL migrator.backfill('b', 'n = 1', key => 'u');
\echo :LAST_ERROR_SQLSTATE

-- nothing pending
CALL migrator.deploy();

-- a transactional, a non-transactional and a transactional migration,
-- up to a target
SELECT version FROM migrator.register('1', 'CREATE TABLE t (id int PRIMARY KEY, v int)');
SELECT version FROM migrator.register('2', 'CREATE INDEX CONCURRENTLY t_v ON t (v)', transactional => false);
SELECT version FROM migrator.register('3', 'ALTER TABLE t ADD COLUMN w int');
SELECT version FROM migrator.register('4', 'ALTER TABLE t ADD COLUMN x int');
-- (the NOTICEs carry durations; docs/deploy.md shows them)
SET client_min_messages = warning;
CALL migrator.deploy(target => '3');
RESET client_min_messages;
SELECT version, state, apply_seq FROM migrator.migrations ORDER BY apply_seq NULLS LAST, version;
SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass;
SELECT version, action, outcome FROM migrator.events WHERE action = 'apply' ORDER BY id;

-- a failing transactional migration: the ones before stay applied
SELECT version FROM migrator.register('5', 'ALTER TABLE t ADD COLUMN y int; SELECT 1/0');
SET client_min_messages = warning;
CALL migrator.deploy();
\echo :LAST_ERROR_SQLSTATE
RESET client_min_messages;
SELECT version, state FROM migrator.migrations WHERE version IN ('4', '5') ORDER BY version;
SELECT count(*) AS y_columns FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'y';
SELECT version, outcome, detail FROM migrator.events WHERE action = 'apply' AND version = '5';

-- backfill with a filter, then again: already done (the batches are
-- counted in the NOTICE's detail)
INSERT INTO b (id) SELECT g FROM generate_series(1, 25) g;
\set VERBOSITY default
CALL migrator.backfill('b', set => 'n = n + 1', filter => 'id > 5', batch_size => 10);
CALL migrator.backfill('b', set => 'n = n + 1', filter => 'id > 5', batch_size => 10);
SELECT n, count(*) FROM b GROUP BY n ORDER BY n;
SELECT relation, set_clause, filter, key_column, state, last_key, rows_done, batches
  FROM migrator.backfills;
CALL migrator.backfill('b', set => 'n = n + 1', filter => 'id > 5', restart => true);
SELECT n, count(*) FROM b GROUP BY n ORDER BY n;
-- one row in one batch: each count in its singular form
CALL migrator.backfill('b', set => 'n = n', filter => 'id = 1');
CALL migrator.backfill('b', set => 'n = n', filter => 'id = 1');
\set VERBOSITY terse
