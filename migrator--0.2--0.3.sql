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
