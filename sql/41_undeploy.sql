-- Rolling back migrations whose down script cannot run in a transaction
-- block: rollback() refuses them before anything runs, CALL
-- migrator.undeploy() runs them through the background worker, one
-- transaction per migration, as deploy() does for up scripts; register()
-- says when a down script and its migration's transactional setting
-- differ.
CREATE DATABASE migrator_undeploy;
\c migrator_undeploy
CREATE EXTENSION migrator;
\set VERBOSITY terse

SELECT version FROM migrator.register('1', 'CREATE TABLE t (id int PRIMARY KEY, v int)', 'DROP TABLE t');
SELECT version FROM migrator.register('2', 'CREATE INDEX CONCURRENTLY t_v ON t (v)',
    down => 'DROP INDEX CONCURRENTLY t_v', transactional => false);
SELECT version FROM migrator.register('3', 'ALTER TABLE t ADD COLUMN w int', 'ALTER TABLE t DROP COLUMN w',
    plan => 'w is new in 3', kind => 'destructive');
-- a transactional migration whose down script needs autocommit: a warning
SELECT version FROM migrator.register('4', 'CREATE INDEX t_w ON t (w)',
    down => 'DROP INDEX CONCURRENTLY t_w');
-- a non-transactional migration whose down script blocks: a warning
SELECT version FROM migrator.register('5', 'CREATE INDEX CONCURRENTLY t_id_v ON t (id, v)',
    down => 'DROP INDEX t_id_v', transactional => false);
-- no warning: down and up agree, or the down script has nothing to block
SELECT version FROM migrator.register('6', 'VACUUM t', down => '-- nothing to undo', transactional => false);

SET client_min_messages = warning;
CALL migrator.deploy();
RESET client_min_messages;
SELECT version, state FROM migrator.status();

-- rollback() runs 6 and 5 in the caller's transaction ...
SELECT version, outcome FROM migrator.rollback(2);
SELECT count(*) AS t_id_v FROM pg_class WHERE relname = 't_id_v';
-- ... and refuses 4 before anything runs, with the way out
\set VERBOSITY default
SELECT version, outcome FROM migrator.rollback();
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
SELECT version, outcome FROM migrator.rollback_to('1');
\echo :LAST_ERROR_SQLSTATE
SELECT version, state FROM migrator.status() WHERE version IN ('2', '3', '4');

-- undeploy(): 4 through the worker, then 3 in a transaction and 2 through
-- the worker
SET client_min_messages = warning;
CALL migrator.undeploy();
RESET client_min_messages;
SELECT version, state FROM migrator.status();
SELECT count(*) AS t_w FROM pg_class WHERE relname = 't_w';
SET client_min_messages = warning;
CALL migrator.undeploy(steps => 2);
RESET client_min_messages;
SELECT version, state FROM migrator.status();
SELECT count(*) AS t_v FROM pg_class WHERE relname = 't_v';
SELECT attname FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT version, action, migration_type, outcome FROM migrator.events
 WHERE action = 'rollback' ORDER BY id;
-- nothing applied after the target: nothing to do
CALL migrator.undeploy(target => '1');

-- deployed again, then back to a target
SET client_min_messages = warning;
CALL migrator.deploy(target => '4');
CALL migrator.undeploy(target => '1');
RESET client_min_messages;
SELECT version, state FROM migrator.status();

-- a down script that fails in the worker: the migration stays applied,
-- the failure is recorded, the error names the statement
SELECT version FROM migrator.register('7', 'CREATE INDEX CONCURRENTLY t_id ON t (id)',
    down => 'DROP INDEX CONCURRENTLY t_id; DROP INDEX CONCURRENTLY no_such_index', transactional => false);
SET client_min_messages = warning;
CALL migrator.deploy();
\set VERBOSITY default
CALL migrator.undeploy();
\set VERBOSITY terse
RESET client_min_messages;
SELECT version, state FROM migrator.status() WHERE version = '7';
SELECT version, outcome, statement, detail FROM migrator.events
 WHERE action = 'rollback' AND outcome = 'failed';

-- arguments
CALL migrator.undeploy(steps => 1, target => '1');
\echo :LAST_ERROR_SQLSTATE
CALL migrator.undeploy(steps => -1);
\echo :LAST_ERROR_SQLSTATE
CALL migrator.undeploy(lock_retries => -1);
\echo :LAST_ERROR_SQLSTATE
CALL migrator.undeploy(target => 'nope');
\echo :LAST_ERROR_SQLSTATE
CALL migrator.undeploy(steps => 10);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
CALL migrator.undeploy();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'migrator'::regnamespace AND p.proname = 'undeploy';

-- the down script of an applied migration can be corrected, and retried
SELECT version FROM migrator.register('7', 'CREATE INDEX CONCURRENTLY t_id ON t (id)',
    down => 'DROP INDEX CONCURRENTLY IF EXISTS t_id', transactional => false);
SET client_min_messages = warning;
CALL migrator.undeploy(target => '1');
RESET client_min_messages;
SELECT version, state FROM migrator.status();

-- check() skips a pending migration whose down script needs autocommit
SELECT version, outcome, detail FROM migrator.check() WHERE version IN ('2', '4');

-- the database is protected (guard-databases.md) until this
SECURITY LABEL FOR migrator ON DATABASE migrator_undeploy IS NULL;
\c postgres
DROP DATABASE migrator_undeploy;
