-- migrator: the guard (src/guard.c, docs/guard.md).

CREATE FUNCTION migrator.allow(statement text, reason text DEFAULT NULL)
RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_allow';

COMMENT ON FUNCTION migrator.allow(text, text) IS
    'allow the destructive statement(s) named for the rest of this transaction; recorded as an allow event with the reason';

-- A session that did not preload the library loads it at its first DDL
-- statement through this trigger, which judges that statement (later ones
-- pass the hook; CASCADE victims are judged by the library's object access
-- hook).  ENABLE ALWAYS, so session_replication_role = replica does not
-- skip it.  ddl_command_start, unlike sql_drop, costs PostgreSQL no
-- identity of every dropped object.
CREATE FUNCTION migrator.guard_ddl_start() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'migrator_guard_ddl_start';

CREATE EVENT TRIGGER migrator_guard ON ddl_command_start
    EXECUTE FUNCTION migrator.guard_ddl_start();
ALTER EVENT TRIGGER migrator_guard ENABLE ALWAYS;

-- The sql_drop trigger function of 0.1 and 0.2, kept: dumps of those
-- versions may grant privileges on it, and must restore.  No event trigger
-- calls it since 0.3.
CREATE FUNCTION migrator.guard_sql_drop() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'migrator_guard_sql_drop';

REVOKE ALL ON FUNCTION migrator.allow(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrator.guard_ddl_start() FROM PUBLIC;
REVOKE ALL ON FUNCTION migrator.guard_sql_drop() FROM PUBLIC;

-- The database is protected across the server (src/protect.c): a security
-- label of provider migrator in the shared catalog pg_shseclabel, which the
-- guard reads in every database when DROP DATABASE or ALTER DATABASE ...
-- RENAME is sent.  DROP EXTENSION migrator removes it.
CREATE FUNCTION migrator.protect_database() RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'migrator_protect_database';
REVOKE ALL ON FUNCTION migrator.protect_database() FROM PUBLIC;
COMMENT ON FUNCTION migrator.protect_database() IS
    'protect the current database from DROP DATABASE and RENAME sent from any database (superuser; CREATE EXTENSION calls it)';
SELECT migrator.protect_database();
