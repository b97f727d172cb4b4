-- migrator: the guard (src/guard.c, docs/guard.md).

CREATE FUNCTION migrator.allow(statement text, reason text DEFAULT NULL)
RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_allow';

COMMENT ON FUNCTION migrator.allow(text, text) IS
    'allow the destructive statement(s) named for the rest of this transaction; recorded as an allow event with the reason';

-- What the ProcessUtility hook cannot see: objects dropped by CASCADE beyond
-- an exempt target, drops in sessions that loaded the library too late.
-- ENABLE ALWAYS, so session_replication_role = replica does not skip it.
CREATE FUNCTION migrator.guard_sql_drop() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'migrator_guard_sql_drop';

CREATE EVENT TRIGGER migrator_guard ON sql_drop
    EXECUTE FUNCTION migrator.guard_sql_drop();
ALTER EVENT TRIGGER migrator_guard ENABLE ALWAYS;

REVOKE ALL ON FUNCTION migrator.allow(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrator.guard_sql_drop() FROM PUBLIC;
