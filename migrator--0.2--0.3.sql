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

-- rolling the guard out (src/sql/60_operations.sql)
-- Rolling the guard out (src/rollout.c, docs/operations.md): standing
-- exemptions for recurring operational jobs, granted and revoked by a
-- superuser, each grant, revocation and use an events row.  Written only
-- by migrator's functions; kept by pg_dump.
CREATE SEQUENCE migrator.exemptions_id_seq;

CREATE TABLE migrator.exemptions (
    id          bigint PRIMARY KEY
                DEFAULT pg_catalog.nextval('migrator.exemptions_id_seq'),
    relation    text,           -- schema-qualified, quoted; NULL: any
    rule        text,           -- a destructive rule id; NULL: every one
    role        text,           -- members of this role; NULL: any role
    reason      text NOT NULL,
    granted_by  text NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    CHECK (relation IS NOT NULL OR role IS NOT NULL)
);

ALTER SEQUENCE migrator.exemptions_id_seq OWNED BY migrator.exemptions.id;

COMMENT ON TABLE migrator.exemptions IS
    'standing exemptions from the guard (migrator.exempt(), migrator.unexempt()); written only by migrator''s functions';

SELECT pg_catalog.pg_extension_config_dump('migrator.exemptions', '');
SELECT pg_catalog.pg_extension_config_dump('migrator.exemptions_id_seq', '');

CREATE TRIGGER protect_history
    BEFORE UPDATE OR DELETE OR TRUNCATE ON migrator.exemptions
    FOR EACH STATEMENT EXECUTE FUNCTION migrator.protect_history();
ALTER TABLE migrator.exemptions ENABLE ALWAYS TRIGGER protect_history;
REVOKE ALL ON migrator.exemptions FROM PUBLIC;
REVOKE ALL ON SEQUENCE migrator.exemptions_id_seq FROM PUBLIC;

CREATE FUNCTION migrator.exempt(relation regclass DEFAULT NULL, rule text DEFAULT NULL,
                                role name DEFAULT NULL, reason text DEFAULT NULL)
RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_exempt';

COMMENT ON FUNCTION migrator.exempt(regclass, text, name, text) IS
    'let the guard through, until unexempt(), statements that fire rule (any destructive one when NULL) on relation, run by members of role; superusers only; returns the exemption''s id';

CREATE FUNCTION migrator.unexempt(id bigint, reason text DEFAULT NULL)
RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_unexempt';

COMMENT ON FUNCTION migrator.unexempt(bigint, text) IS
    'revoke a standing exemption from the guard; superusers only';

CREATE FUNCTION migrator.guard_report(since timestamptz DEFAULT NULL)
RETURNS TABLE (rule text, object text, role text, application_name text,
               observed bigint, blocked bigint, first_at timestamptz,
               last_at timestamptz, statement text)
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'migrator_guard_report';

COMMENT ON FUNCTION migrator.guard_report(timestamptz) IS
    'what the guard refused, or would have refused in observe and warn mode, since since: one row per rule, object, role and application';

CREATE FUNCTION migrator.check_preload()
RETURNS boolean
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_check_preload';

COMMENT ON FUNCTION migrator.check_preload() IS
    'whether this session had the guard''s hook from its start (shared_preload_libraries); warns when not';

REVOKE ALL ON FUNCTION migrator.exempt(regclass, text, name, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrator.unexempt(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrator.guard_report(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrator.check_preload() FROM PUBLIC;

-- No check_preload() here: protect_database() above already warns when the
-- library is not preloaded.
-- import: two columns of migrations, last, as in a fresh install
ALTER TABLE migrator.migrations
    ADD COLUMN imported boolean NOT NULL DEFAULT false,
    ADD COLUMN irreversible text;

COMMENT ON COLUMN migrator.migrations.imported IS
    'registered by migrator.import(): history applied before migrator, taken as it is';
COMMENT ON COLUMN migrator.migrations.irreversible IS
    'why rollback() refuses the migration, e.g. ''irreversible (imported)'' for an imported one whose down script is empty; NULL when it has a down script';

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
           m.transactional, m.checksum, a.findings, m.depends_on,
           s.errors, s.warnings, s.infos, sc.state
      FROM migrator.migrations AS m
      LEFT JOIN migrator.staged_changes AS sc ON sc.version = m.version,
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

COMMENT ON FUNCTION migrator.status() IS
    'one row per registered migration, in version order; stage is the phase of a staged change';

REVOKE ALL ON FUNCTION migrator.status() FROM PUBLIC;
UPDATE pg_catalog.pg_proc
   SET proacl = pg_catalog.current_setting('migrator_update.status_acl')::pg_catalog.aclitem[]
 WHERE oid = 'migrator.status()'::pg_catalog.regprocedure
   AND pg_catalog.current_setting('migrator_update.status_acl') <> '';

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

-- schema_fingerprint() reads the same on every server version (issue 14):
-- NOT NULL stays a column or domain property when 17 and 18 also keep it in
-- pg_constraint, virtual generated columns (18) say so, and a full table
-- privilege reads the same with or without MAINTAIN (17).  The text it
-- gives for a schema of 15 or 16 is unchanged, so fingerprints recorded by
-- 0.2 still compare equal.  A constraint of a relation that pg_class does not
-- show (a Citus shard, hidden from pg_class but not from pg_constraint) is
-- left out rather than named NULL (issue 17).
CREATE OR REPLACE FUNCTION migrator.schema_fingerprint()
RETURNS TABLE (kind text, object text, definition text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
WITH ns AS (
    SELECT n.oid, n.nspname, n.nspowner, n.nspacl
      FROM pg_namespace AS n
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'migrator')
       AND n.nspname !~ '^pg_(toast|temp_)'
),
member AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
),
rel AS (
    SELECT c.*, ns.nspname
      FROM pg_class AS c JOIN ns ON ns.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c', 'i', 'I')
       AND NOT EXISTS (SELECT 1 FROM member
                        WHERE classid = 'pg_class'::regclass AND objid = c.oid)
)
SELECT 'schema', quote_ident(nspname),
       concat_ws(' ', 'owner', pg_get_userbyid(nspowner), 'acl ' || nullif(nspacl, acldefault('n', nspowner))::text)
  FROM ns
 WHERE NOT EXISTS (SELECT 1 FROM member
                    WHERE classid = 'pg_namespace'::regclass AND objid = ns.oid)
UNION ALL
SELECT 'extension', quote_ident(e.extname),
       concat_ws(' ', 'version', e.extversion, 'schema', e.extnamespace::regnamespace::text)
  FROM pg_extension AS e
 WHERE e.extname <> 'migrator'
UNION ALL
SELECT CASE relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table'
                    WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                    WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
                    WHEN 'c' THEN 'type' ELSE 'index' END,
       format('%I.%I', nspname, relname),
       concat_ws(' ',
                 CASE relpersistence WHEN 'u' THEN 'unlogged' END,
                 'owner', pg_get_userbyid(relowner),
                 'acl ' || regexp_replace(nullif(relacl, acldefault(CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", relowner))::text,
                                          '=a(\*?)r(\*?)w(\*?)d(\*?)D(\*?)x(\*?)t(\*?)m\*?/', '=a\1r\2w\3d\4D\5x\6t\7/', 'g'),
                 CASE WHEN relrowsecurity THEN 'row security' END,
                 CASE WHEN relforcerowsecurity THEN 'forced' END,
                 CASE WHEN relkind IN ('v', 'm') THEN pg_get_viewdef(rel.oid)
                      WHEN relkind IN ('i', 'I') THEN pg_get_indexdef(rel.oid)
                      WHEN relkind = 'S' THEN
                          (SELECT format('%s start %s increment %s min %s max %s cache %s%s',
                                         format_type(seqtypid, NULL), seqstart, seqincrement,
                                         seqmin, seqmax, seqcache,
                                         CASE WHEN seqcycle THEN ' cycle' ELSE '' END)
                             FROM pg_sequence WHERE seqrelid = rel.oid) END)
  FROM rel
UNION ALL
SELECT 'column', format('%I.%I.%I', rel.nspname, rel.relname, a.attname),
       concat_ws(' ', format_type(a.atttypid, a.atttypmod),
                 CASE WHEN a.attcollation <> t.typcollation
                      THEN 'collate ' || a.attcollation::regcollation::text END,
                 CASE WHEN a.attnotnull THEN 'not null' END,
                 (SELECT nullif(concat_ws(' ', CASE WHEN NOT nn.convalidated THEN 'not valid' END,
                                          CASE WHEN nn.connoinherit THEN 'no inherit' END), '')
                    FROM pg_constraint AS nn
                   WHERE nn.conrelid = a.attrelid AND nn.contype = 'n' AND nn.conkey = ARRAY[a.attnum]),
                 CASE a.attidentity WHEN 'a' THEN 'generated always as identity'
                                    WHEN 'd' THEN 'generated by default as identity' END,
                 CASE WHEN a.attgenerated IN ('s', 'v') THEN 'generated always as'
                      WHEN d.adbin IS NOT NULL THEN 'default' END,
                 pg_get_expr(d.adbin, d.adrelid),
                 CASE WHEN a.attgenerated = 'v' THEN 'virtual' END,
                 'acl ' || nullif(a.attacl, '{}')::text)
  FROM rel
  JOIN pg_attribute AS a ON a.attrelid = rel.oid
  JOIN pg_type AS t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped
   AND rel.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
UNION ALL
SELECT 'constraint',
       format('%I.%I.%I', ns.nspname, coalesce(c.relname, t.typname), co.conname),
       pg_get_constraintdef(co.oid)
  FROM pg_constraint AS co
  JOIN ns ON ns.oid = co.connamespace
  LEFT JOIN pg_class AS c ON c.oid = co.conrelid
  LEFT JOIN pg_type AS t ON t.oid = co.contypid
 WHERE co.contype <> 'n'
   AND (co.conrelid = 0 OR c.oid IS NOT NULL)
   AND (co.contypid = 0 OR t.oid IS NOT NULL)
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                      WHEN 'w' THEN 'window function' ELSE 'function' END,
       format('%I.%I(%s)', ns.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       concat_ws(' ', 'returns', pg_get_function_result(p.oid),
                 'language', l.lanname,
                 CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' END,
                 CASE WHEN p.prosecdef THEN 'security definer' END,
                 'config ' || p.proconfig::text,
                 'owner', pg_get_userbyid(p.proowner), 'acl ' || nullif(p.proacl, acldefault('f', p.proowner))::text,
                 'body md5', md5(coalesce(p.prosrc, '') || coalesce(p.probin, '')))
  FROM pg_proc AS p
  JOIN ns ON ns.oid = p.pronamespace
  JOIN pg_language AS l ON l.oid = p.prolang
 WHERE NOT EXISTS (SELECT 1 FROM member
                    WHERE classid = 'pg_proc'::regclass AND objid = p.oid)
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
                      WHEN 'r' THEN 'range' WHEN 'm' THEN 'multirange'
                      ELSE 'base type' END,
       format('%I.%I', ns.nspname, t.typname),
       concat_ws(' ', 'owner', pg_get_userbyid(t.typowner), 'acl ' || nullif(t.typacl, acldefault('T', t.typowner))::text,
                 CASE t.typtype
                      WHEN 'e' THEN (SELECT string_agg(quote_literal(enumlabel), ', '
                                                       ORDER BY enumsortorder)
                                       FROM pg_enum WHERE enumtypid = t.oid)
                      WHEN 'd' THEN concat_ws(' ', format_type(t.typbasetype, t.typtypmod),
                                              CASE WHEN t.typnotnull THEN 'not null' END,
                                              'default ' || t.typdefault)
                 END)
  FROM pg_type AS t
  JOIN ns ON ns.oid = t.typnamespace
 WHERE t.typtype IN ('b', 'd', 'e', 'r', 'm')
   AND t.typrelid = 0
   AND NOT (t.typtype = 'b' AND t.typcategory = 'A')
   AND NOT EXISTS (SELECT 1 FROM member
                    WHERE classid = 'pg_type'::regclass AND objid = t.oid)
UNION ALL
SELECT 'trigger', format('%I.%I.%I', rel.nspname, rel.relname, tg.tgname),
       concat_ws(' ', pg_get_triggerdef(tg.oid), 'enabled', tg.tgenabled)
  FROM pg_trigger AS tg
  JOIN rel ON rel.oid = tg.tgrelid
 WHERE NOT tg.tgisinternal
UNION ALL
SELECT 'policy', format('%I.%I.%I', rel.nspname, rel.relname, po.polname),
       concat_ws(' ', po.polcmd, CASE WHEN po.polpermissive THEN 'permissive' ELSE 'restrictive' END,
                 'to', po.polroles::regrole[]::text,
                 'using', pg_get_expr(po.polqual, po.polrelid),
                 'check', pg_get_expr(po.polwithcheck, po.polrelid))
  FROM pg_policy AS po
  JOIN rel ON rel.oid = po.polrelid
UNION ALL
SELECT 'rule', format('%I.%I.%I', rel.nspname, rel.relname, r.rulename),
       pg_get_ruledef(r.oid)
  FROM pg_rewrite AS r
  JOIN rel ON rel.oid = r.ev_class
 WHERE r.rulename <> '_RETURN'
$$;

-- src/sql/00_catalog.sql: the statement boundaries of up, stored by
-- register() and used by apply().  Rows registered before keep NULL:
-- apply() splits their scripts as before.
ALTER TABLE migrator.migrations ADD COLUMN up_statements int4[];
COMMENT ON COLUMN migrator.migrations.up_statements IS
    'how register() split up into statements: the parser''s stamp (server major version, standard_conforming_strings), then the byte offsets where each statement starts and ends; apply() uses them after checking the checksum (NULL before 0.3)';
