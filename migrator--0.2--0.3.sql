-- migrator 0.2 -> 0.3.
--
-- Every change to src/sql/ made for 0.3 is made here too, in the same
-- order and column order, so that an updated installation equals a fresh
-- one (test/t/016_upgrade.pl compares them object by object).

\echo Use "ALTER EXTENSION migrator UPDATE TO '0.3'" to load this file. \quit

-- src/sql/20_guard.sql: the database is protected across the server.
CREATE FUNCTION migrator.protect_database() RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'migrator_protect_database';
REVOKE ALL ON FUNCTION migrator.protect_database() FROM PUBLIC;
COMMENT ON FUNCTION migrator.protect_database() IS
    'protect the current database from DROP DATABASE and RENAME sent from any database (superuser; CREATE EXTENSION calls it)';
SELECT migrator.protect_database();

-- src/sql/20_guard.sql: the event trigger fires at ddl_command_start (the
-- object access hook judges dropped objects; a sql_drop trigger made
-- PostgreSQL compute the identity of every object any statement dropped).
DROP EVENT TRIGGER migrator_guard;
-- migrator.guard_sql_drop() stays (dumps of 0.1 and 0.2 may grant on it).
CREATE FUNCTION migrator.guard_ddl_start() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'migrator_guard_ddl_start';
CREATE EVENT TRIGGER migrator_guard ON ddl_command_start
    EXECUTE FUNCTION migrator.guard_ddl_start();
ALTER EVENT TRIGGER migrator_guard ENABLE ALWAYS;
REVOKE ALL ON FUNCTION migrator.guard_ddl_start() FROM PUBLIC;

-- events: the actions and outcomes of the guard's rollout (observe mode,
-- guard-off traces, standing exemptions) and of housekeeping; the object
-- column of guard events.
ALTER TABLE migrator.events
    DROP CONSTRAINT events_action_check,
    ADD CONSTRAINT events_action_check
        CHECK (action IN ('register', 'apply', 'rollback', 'verify', 'block', 'allow',
                          'observe', 'guard_off', 'exempt', 'unexempt',
                          'unregister', 'prune')),
    DROP CONSTRAINT events_outcome_check,
    ADD CONSTRAINT events_outcome_check
        CHECK (outcome IN ('success', 'partial', 'blocked', 'failed',
                           'observed', 'warned')),
    ADD COLUMN object text;

COMMENT ON TABLE migrator.events IS
    'append-only log of register, apply, rollback, verify, guard decisions and housekeeping; pruned only by migrator.prune_events()';
COMMENT ON COLUMN migrator.events.object IS
    'object of a guard event (block, observe, allow by exemption), as the guard names it; NULL before 0.3';

-- housekeeping (src/sql/60_operations.sql)
CREATE FUNCTION migrator.unregister(version text, reason text DEFAULT NULL)
RETURNS migrator.migrations
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_unregister';

COMMENT ON FUNCTION migrator.unregister(text, text) IS
    'remove a pending migration registered by mistake (never an applied one); recorded as an unregister event with the reason';

CREATE FUNCTION migrator.prune_events(older_than interval, keep_refusals boolean DEFAULT true)
RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_prune_events';

COMMENT ON FUNCTION migrator.prune_events(interval, boolean) IS
    'delete events older than older_than, keeping the guard''s refusals and guard-off traces unless keep_refusals is false; recorded as a prune event';

REVOKE ALL ON FUNCTION migrator.unregister(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrator.prune_events(interval, boolean) FROM PUBLIC;

-- rollback of non-transactional down scripts (src/sql/40_deploy.sql)
CREATE PROCEDURE migrator.undeploy(
    steps integer DEFAULT NULL,
    target text DEFAULT NULL,
    lock_timeout interval DEFAULT NULL,
    lock_retries integer DEFAULT NULL)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'migrator_undeploy';

COMMENT ON PROCEDURE migrator.undeploy(integer, text, interval, integer) IS
    'roll back the last steps migrations (1 by default), or those applied after target, each in a transaction of its own, retrying on lock timeout; runs down scripts that cannot run in a transaction block in a background worker';

REVOKE ALL ON PROCEDURE migrator.undeploy(integer, text, interval, integer) FROM PUBLIC;
