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

-- Staged changes: their catalog table (as in src/sql/00_catalog.sql) ...

-- Staged changes (src/staged.c, docs/staged.md): one row per migration
-- registered with migrator.stage(), with the statement, its up and down
-- expressions, its phase, and in spec what its expand step generated
-- (names, the SQL of the later phases).  Written only by migrator's C
-- code; dumped, so that a change in flight survives pg_dump and restore.
CREATE TABLE migrator.staged_changes (
    version       text PRIMARY KEY,
    statement     text NOT NULL,
    up            text,
    down          text,
    operation     text NOT NULL,
    relation      text NOT NULL,
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'expanding', 'expanded', 'completed', 'aborted')),
    spec          jsonb,
    staged_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    staged_by     text NOT NULL DEFAULT CURRENT_USER,
    expanded_at   timestamptz,
    completed_at  timestamptz,
    aborted_at    timestamptz
);

COMMENT ON TABLE migrator.staged_changes IS
    'staged changes registered with migrator.stage() and their phase; written only by migrator''s functions';

SELECT pg_catalog.pg_extension_config_dump('migrator.staged_changes', '');

CREATE TRIGGER protect_history
    BEFORE UPDATE OR DELETE OR TRUNCATE ON migrator.staged_changes
    FOR EACH STATEMENT EXECUTE FUNCTION migrator.protect_history();
ALTER TABLE migrator.staged_changes ENABLE ALWAYS TRIGGER protect_history;
REVOKE ALL ON migrator.staged_changes FROM PUBLIC;

-- ... status() shows the phase of a staged change in a new last column.
-- Its result type changes, so it is created again.  The privileges a DBA
-- gave on it (EXECUTE for a deploy role) are copied onto the new one in
-- pg_proc, so that they stay privileges pg_dump dumps and not initial
-- privileges of the extension.
-- (The old one is dropped, not renamed: the guard refuses a rename even in
-- an extension script; its privileges wait in a setting of this
-- transaction.)
SELECT pg_catalog.set_config('migrator_update.status_acl',
                             COALESCE(p.proacl::text, ''), true)
  FROM pg_catalog.pg_proc AS p
 WHERE p.oid = 'migrator.status()'::pg_catalog.regprocedure;
DROP FUNCTION migrator.status();
CREATE FUNCTION migrator.status()
RETURNS TABLE (version text, name text, kind text, state text,
               applied_at timestamptz, applied_by text, transactional boolean,
               checksum text, findings jsonb, depends_on text[],
               errors integer, warnings integer, infos integer,
               stage text)
    LANGUAGE sql STABLE
    -- Callers need EXECUTE only, not privileges on the tables (see the
    -- deploy role in the README); search_path is pinned.
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.version, m.name, m.kind, m.state, m.applied_at, m.applied_by,
           m.transactional, m.checksum, m.findings, m.depends_on,
           s.errors, s.warnings, s.infos, sc.state
      FROM migrator.migrations AS m
      LEFT JOIN migrator.staged_changes AS sc ON sc.version = m.version,
           LATERAL (SELECT count(*) FILTER (WHERE f->>'severity' = 'error')::integer AS errors,
                           count(*) FILTER (WHERE f->>'severity' = 'warning')::integer AS warnings,
                           count(*) FILTER (WHERE f->>'severity' = 'info')::integer AS infos
                      FROM jsonb_array_elements(m.findings) AS f) AS s
     ORDER BY migrator.version_key(m.version), m.version
$$;

COMMENT ON FUNCTION migrator.status() IS
    'one row per registered migration, in version order; stage is the phase of a staged change';

REVOKE ALL ON FUNCTION migrator.status() FROM PUBLIC;
UPDATE pg_catalog.pg_proc
   SET proacl = pg_catalog.current_setting('migrator_update.status_acl')::pg_catalog.aclitem[]
 WHERE oid = 'migrator.status()'::pg_catalog.regprocedure
   AND pg_catalog.current_setting('migrator_update.status_acl') <> '';

-- stage(), complete(), abort() (as in src/sql/50_staged.sql).
CREATE FUNCTION migrator.stage(
    version text,
    statement text,
    up text DEFAULT NULL,
    down text DEFAULT NULL,
    name text DEFAULT NULL)
RETURNS migrator.migrations
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_stage';

COMMENT ON FUNCTION migrator.stage(text, text, text, text, text) IS
    'register a destructive statement as a staged change: deploy() expands and backfills it, complete() contracts, abort() returns to the old shape';

CREATE PROCEDURE migrator.complete(
    version text,
    lock_timeout interval DEFAULT NULL,
    lock_retries integer DEFAULT NULL)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'migrator_complete';

COMMENT ON PROCEDURE migrator.complete(text, interval, integer) IS
    'the contract step of an expanded staged change: the old shape goes away';

CREATE PROCEDURE migrator.abort(
    version text,
    lock_timeout interval DEFAULT NULL,
    lock_retries integer DEFAULT NULL)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'migrator_abort';

COMMENT ON PROCEDURE migrator.abort(text, interval, integer) IS
    'return a staged change in flight to the old shape, keeping every row';

REVOKE ALL ON FUNCTION migrator.stage(text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE migrator.complete(text, interval, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE migrator.abort(text, interval, integer) FROM PUBLIC;
