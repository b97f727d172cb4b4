-- migrator: operations (src/housekeeping.c, docs/operations.md):
-- housekeeping of the catalog.

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
