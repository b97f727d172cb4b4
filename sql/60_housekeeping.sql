-- Housekeeping: removing a pending migration registered by mistake,
-- pruning old events, and verify() writing one event per call.
-- docs/operations.md shows these calls.
CREATE DATABASE migrator_housekeeping;
\c migrator_housekeeping
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
CREATE ROLE hk_deploy;
CREATE ROLE hk_owner_member;

SELECT version FROM migrator.register('1', 'CREATE TABLE a (id int)', 'DROP TABLE a');
SELECT version FROM migrator.register('2', 'CREATE TABLE b (id int)', 'DROP TABLE b');
SELECT version FROM migrator.register('3', 'ALTER TABLE b ADD COLUMN v int', 'ALTER TABLE b DROP COLUMN v',
    depends_on => '{2}');
SELECT version FROM migrator.register('4', 'CREATE TABLE typo (id int)', 'DROP TABLE typo');
SELECT version, outcome FROM migrator.apply('1');
-- verify() of a history of one: its summary says "1 migration"
SELECT version, ok FROM migrator.verify();

-- unregister(): a pending migration goes, with a recorded reason
SELECT version, state, kind FROM migrator.unregister('4', reason => 'registered from the wrong branch');
SELECT version, state FROM migrator.status();
SELECT version, action, migration_type, outcome, detail ~ 'registered from the wrong branch' AS has_reason,
       detail ~ 'checksum [0-9a-f]{64}' AS has_checksum
  FROM migrator.events WHERE action = 'unregister';
-- the same version can be registered again afterwards
SELECT version, state FROM migrator.register('4', 'CREATE TABLE fixed (id int)', 'DROP TABLE fixed');

-- never an applied migration
SELECT migrator.unregister('1', reason => 'oops');
\echo :LAST_ERROR_SQLSTATE
-- never one another migration depends on
SELECT migrator.unregister('2', reason => 'oops');
\echo :LAST_ERROR_SQLSTATE
-- unknown versions, missing reasons
SELECT migrator.unregister('nope', reason => 'oops');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.unregister('4');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.unregister('4', reason => '  ');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.unregister(NULL, reason => 'oops');
\echo :LAST_ERROR_SQLSTATE
-- not in a read-only transaction
BEGIN READ ONLY;
SELECT migrator.unregister('4', reason => 'oops');
ROLLBACK;
-- not from inside a migration
SELECT version FROM migrator.register('5', $$SELECT migrator.unregister('4', reason => 'inside')$$);
SELECT version FROM migrator.apply('5');
\echo :LAST_ERROR_SQLSTATE
SELECT version, state FROM migrator.unregister('5', reason => 'cleanup of the test above');
-- a deploy role with EXECUTE may unregister what it may register
GRANT USAGE ON SCHEMA migrator TO hk_deploy;
GRANT EXECUTE ON FUNCTION migrator.unregister(text, text) TO hk_deploy;
SET ROLE hk_deploy;
SELECT version FROM migrator.unregister('4', reason => 'by the deploy role');
RESET ROLE;
SELECT role, detail ~ 'by the deploy role' AS has_reason FROM migrator.events
 WHERE action = 'unregister' ORDER BY id DESC LIMIT 1;

-- verify(): one summary event per call, not one per migration
SELECT version, outcome FROM migrator.apply();
SELECT count(*) AS events_before FROM migrator.events \gset
SELECT version, ok FROM migrator.verify();
SELECT version, ok FROM migrator.verify();
SELECT count(*) - :events_before AS new_events FROM migrator.events;
SELECT version, action, migration_type, outcome, detail FROM migrator.events
 WHERE action = 'verify' ORDER BY id;
-- one version: its event names it
SELECT version, ok FROM migrator.verify('2');
SELECT version, outcome, detail FROM migrator.events WHERE action = 'verify' ORDER BY id DESC LIMIT 1;
-- a failure is in the summary
SELECT version FROM migrator.register('6', 'CREATE TABLE c (id int)', 'DROP TABLE c', verify => 'SELECT false');
SELECT version FROM migrator.apply();
SELECT version, ok FROM migrator.verify();
SELECT version, outcome, detail FROM migrator.events WHERE action = 'verify' ORDER BY id DESC LIMIT 1;

-- prune_events(): old events go, refusals and guard-off traces stay, the
-- prune is recorded.  Rows are aged by restoring them with an older
-- timestamp, as pg_restore would (INSERT is the owner's privilege).
INSERT INTO migrator.events (at, action, outcome, detail)
     VALUES (now() - interval '400 days', 'apply', 'success', 'old apply'),
            (now() - interval '400 days', 'block', 'blocked', 'old refusal'),
            (now() - interval '400 days', 'guard_off', 'success', 'old trace'),
            (now() - interval '10 days', 'register', 'success', 'recent');
SELECT action, outcome, detail FROM migrator.events
 WHERE at < now() - interval '1 day' ORDER BY id;
SELECT migrator.prune_events(older_than => interval '90 days') AS pruned;
SELECT action, outcome, detail FROM migrator.events
 WHERE at < now() - interval '1 day' ORDER BY id;
SELECT action, outcome, detail FROM migrator.events WHERE action = 'prune';
-- nothing left to prune: 0, and still recorded
SELECT migrator.prune_events(interval '90 days') AS pruned;
-- refusals too, when asked (superusers only)
SELECT migrator.prune_events(interval '90 days', keep_refusals => false) AS pruned;
SELECT action, detail FROM migrator.events WHERE at < now() - interval '1 day' ORDER BY id;
SELECT detail FROM migrator.events WHERE action = 'prune' ORDER BY id DESC LIMIT 1;
-- arguments
SELECT migrator.prune_events(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.prune_events(interval '-1 day');
\echo :LAST_ERROR_SQLSTATE
-- who may prune: the extension owner's privileges; refusals: superusers
GRANT EXECUTE ON FUNCTION migrator.prune_events(interval, boolean) TO hk_deploy, hk_owner_member;
SET ROLE hk_deploy;
SELECT migrator.prune_events(interval '90 days');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT postgres TO hk_owner_member;
SET ROLE hk_owner_member;
SELECT migrator.prune_events(interval '90 days') AS pruned;
SELECT migrator.prune_events(interval '90 days', keep_refusals => false);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE postgres FROM hk_owner_member;
-- direct deletes stay refused
DELETE FROM migrator.events WHERE action = 'prune';
\echo :LAST_ERROR_SQLSTATE

-- the database is protected (guard-databases.md) until this
SECURITY LABEL FOR migrator ON DATABASE migrator_housekeeping IS NULL;
\c postgres
DROP DATABASE migrator_housekeeping;
DROP ROLE hk_deploy;
DROP ROLE hk_owner_member;
