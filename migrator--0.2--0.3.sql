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

-- import: two columns of migrations, last, as in a fresh install
ALTER TABLE migrator.migrations
    ADD COLUMN imported boolean NOT NULL DEFAULT false,
    ADD COLUMN irreversible text;

COMMENT ON COLUMN migrator.migrations.imported IS
    'registered by migrator.import(): history applied before migrator, taken as it is';
COMMENT ON COLUMN migrator.migrations.irreversible IS
    'why rollback() refuses the migration, e.g. ''irreversible (imported)'' for an imported one whose down script is empty; NULL when it has a down script';

-- status() shows an irreversible migration among its findings; the same
-- columns, so its grants stay
CREATE OR REPLACE FUNCTION migrator.status()
RETURNS TABLE (version text, name text, kind text, state text,
               applied_at timestamptz, applied_by text, transactional boolean,
               checksum text, findings jsonb, depends_on text[],
               errors integer, warnings integer, infos integer)
    LANGUAGE sql STABLE
    -- Callers need EXECUTE only, not privileges on the tables (see the
    -- deploy role in the README); search_path is pinned.
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.version, m.name, m.kind, m.state, m.applied_at, m.applied_by,
           m.transactional, m.checksum, a.findings, m.depends_on,
           s.errors, s.warnings, s.infos
      FROM migrator.migrations AS m,
           -- an irreversible migration says so among its findings (0.3)
           LATERAL (SELECT m.findings || CASE WHEN m.irreversible IS NULL THEN '[]'::jsonb
                           ELSE jsonb_build_array(jsonb_build_object(
                               'rule', 'irreversible', 'severity', 'warning',
                               'message', m.irreversible || ': its down script has no statements, so rollback() refuses it'))
                           END AS findings) AS a,
           LATERAL (SELECT count(*) FILTER (WHERE f->>'severity' = 'error')::integer AS errors,
                           count(*) FILTER (WHERE f->>'severity' = 'warning')::integer AS warnings,
                           count(*) FILTER (WHERE f->>'severity' = 'info')::integer AS infos
                      FROM jsonb_array_elements(a.findings) AS f) AS s
     ORDER BY migrator.version_key(m.version), m.version
$$;

-- 0.3: import registers a history as it is.  A function of its own, not a
-- register() argument, so that it has a grant of its own: a role allowed
-- to register migrations may not, by that alone, bring in destructive
-- migrations without plan or down script.
CREATE FUNCTION migrator.import(
    version text,
    up text,
    down text DEFAULT NULL,
    verify text DEFAULT NULL,
    name text DEFAULT NULL,
    plan text DEFAULT NULL,
    kind text DEFAULT NULL,
    transactional boolean DEFAULT true,
    depends_on text[] DEFAULT NULL)
RETURNS migrator.migrations
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_import';

COMMENT ON FUNCTION migrator.import(text, text, text, text, text, text, text, boolean, text[]) IS
    'register a migration of a history applied before migrator as it is: a destructive one without plan gets an imported-history plan, one without a usable down script is irreversible (imported)';

REVOKE ALL ON FUNCTION migrator.import(text, text, text, text, text, text, text, boolean, text[]) FROM PUBLIC;
