-- migrator: catalog.  Tables are written only by the extension's C code,
-- which does so under the extension owner's identity; see docs/design.md.

\echo Use "CREATE EXTENSION migrator" to load this file. \quit

CREATE TABLE migrator.migrations (
    version        text PRIMARY KEY
                   CHECK (version <> '' AND version !~ '[[:cntrl:]]'),
    name           text,
    up             text NOT NULL,
    down           text,
    verify         text,
    plan           text,
    kind           text NOT NULL
                   CHECK (kind IN ('additive', 'staged', 'destructive')),
    transactional  boolean NOT NULL DEFAULT true,
    checksum       text NOT NULL,
    state          text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'applied', 'failed')),
    findings       jsonb NOT NULL DEFAULT '[]',     -- lint findings of up
    depends_on     text[] NOT NULL DEFAULT '{}',   -- expand/backfill steps
    registered_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    registered_by  text NOT NULL DEFAULT CURRENT_USER,
    applied_at     timestamptz,
    applied_by     text,
    apply_seq      bigint UNIQUE,
    duration       interval,
    CHECK ((state = 'applied') = (apply_seq IS NOT NULL))
);

COMMENT ON TABLE migrator.migrations IS
    'every registered migration; written only by migrator''s functions';

CREATE SEQUENCE migrator.events_id_seq;

CREATE TABLE migrator.events (
    id             bigint PRIMARY KEY
                   DEFAULT pg_catalog.nextval('migrator.events_id_seq'),
    at             timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    version        text,
    action         text NOT NULL
                   CHECK (action IN ('register', 'apply', 'rollback', 'verify', 'block', 'allow')),
    migration_type text
                   CHECK (migration_type IN ('additive', 'staged', 'destructive')),
    outcome        text NOT NULL
                   CHECK (outcome IN ('success', 'partial', 'blocked', 'failed')),
    role           text NOT NULL DEFAULT SESSION_USER,
    database       text NOT NULL DEFAULT pg_catalog.current_database(),
    rule           text,
    statement      text,
    detail         text,
    -- Added in 0.2 (NULL in rows written before): where the call came from.
    application_name text,
    client_addr    inet
);

ALTER SEQUENCE migrator.events_id_seq OWNED BY migrator.events.id;

COMMENT ON TABLE migrator.events IS
    'append-only log of register, apply, rollback, verify and guard decisions';
COMMENT ON COLUMN migrator.events.application_name IS
    'application_name of the session that made the call (NULL before 0.2)';
COMMENT ON COLUMN migrator.events.client_addr IS
    'client address of that session; NULL for a Unix-socket connection and before 0.2';

CREATE INDEX ON migrator.events (version);

-- History survives pg_dump / pg_restore.
SELECT pg_catalog.pg_extension_config_dump('migrator.migrations', '');
SELECT pg_catalog.pg_extension_config_dump('migrator.events', '');
SELECT pg_catalog.pg_extension_config_dump('migrator.events_id_seq', '');

-- Nobody but the extension edits history, superusers included.  Rows are
-- inserted only by their owner (pg_restore does that when it restores a
-- dump), so INSERT stays allowed to those who hold the privilege.
CREATE FUNCTION migrator.protect_history() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'migrator_protect_history';

CREATE TRIGGER protect_history
    BEFORE UPDATE OR DELETE OR TRUNCATE ON migrator.migrations
    FOR EACH STATEMENT EXECUTE FUNCTION migrator.protect_history();
CREATE TRIGGER protect_history
    BEFORE UPDATE OR DELETE OR TRUNCATE ON migrator.events
    FOR EACH STATEMENT EXECUTE FUNCTION migrator.protect_history();
ALTER TABLE migrator.migrations ENABLE ALWAYS TRIGGER protect_history;
ALTER TABLE migrator.events ENABLE ALWAYS TRIGGER protect_history;

REVOKE ALL ON ALL TABLES IN SCHEMA migrator FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA migrator FROM PUBLIC;
REVOKE ALL ON SCHEMA migrator FROM PUBLIC;
-- migrator: register, apply, rollback, verify, status.

CREATE FUNCTION migrator.version_key(version text) RETURNS bytea
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'migrator_version_key';

COMMENT ON FUNCTION migrator.version_key(text) IS
    'natural sort key of a version: ORDER BY migrator.version_key(v), v';

CREATE FUNCTION migrator.register(
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
    AS 'MODULE_PATHNAME', 'migrator_register';

COMMENT ON FUNCTION migrator.register(text, text, text, text, text, text, text, boolean, text[]) IS
    'register (or replace, while pending) a migration; classifies it and refuses unplanned destructive ones';

CREATE FUNCTION migrator.apply(
    target text DEFAULT NULL,
    allow_out_of_order boolean DEFAULT false)
RETURNS TABLE (version text, kind text, outcome text, duration interval)
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_apply';

COMMENT ON FUNCTION migrator.apply(text, boolean) IS
    'apply pending migrations up to target (all when NULL) in the caller''s transaction';

CREATE FUNCTION migrator.rollback(steps integer DEFAULT 1)
RETURNS TABLE (version text, kind text, outcome text, duration interval)
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_rollback';

COMMENT ON FUNCTION migrator.rollback(integer) IS
    'run the down scripts of the most recently applied migrations';

CREATE FUNCTION migrator.rollback_to(target text)
RETURNS TABLE (version text, kind text, outcome text, duration interval)
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_rollback_to';

COMMENT ON FUNCTION migrator.rollback_to(text) IS
    'roll back every migration applied after target';

CREATE FUNCTION migrator.verify(version text DEFAULT NULL)
RETURNS TABLE (version text, ok boolean, detail text)
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_verify';

COMMENT ON FUNCTION migrator.verify(text) IS
    'check applied migrations: checksum of up, and their verify script';

CREATE FUNCTION migrator.status()
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
           m.transactional, m.checksum, m.findings, m.depends_on,
           s.errors, s.warnings, s.infos
      FROM migrator.migrations AS m,
           LATERAL (SELECT count(*) FILTER (WHERE f->>'severity' = 'error')::integer AS errors,
                           count(*) FILTER (WHERE f->>'severity' = 'warning')::integer AS warnings,
                           count(*) FILTER (WHERE f->>'severity' = 'info')::integer AS infos
                      FROM jsonb_array_elements(m.findings) AS f) AS s
     ORDER BY migrator.version_key(m.version), m.version
$$;

COMMENT ON FUNCTION migrator.status() IS
    'one row per registered migration, in version order';

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA migrator FROM PUBLIC;
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
-- migrator: lint, plan, check, drift.  See docs/lint.md.

CREATE FUNCTION migrator.rules()
RETURNS TABLE (rule text, kind text, severity text, rewrites boolean,
               description text, hint text)
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'migrator_rules';

COMMENT ON FUNCTION migrator.rules() IS
    'the rule table: destructive, staged and hazard rules with severity and hint';

CREATE FUNCTION migrator.lint(sql text)
RETURNS TABLE (rule text, severity text, statement integer, location integer,
               message text, hint text)
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'migrator_lint';

COMMENT ON FUNCTION migrator.lint(text) IS
    'findings of a script, per statement: destructive changes, lock and rewrite hazards, advice';

CREATE FUNCTION migrator.plan(target text DEFAULT NULL)
RETURNS TABLE (version text, kind text, statement integer, command text,
               locks text, rewrites boolean, transactional boolean,
               findings text)
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'migrator_plan';

COMMENT ON FUNCTION migrator.plan(text) IS
    'what apply(target) would do: per pending statement its locks, rewrites and findings';

CREATE FUNCTION migrator.check(target text DEFAULT NULL)
RETURNS TABLE (version text, outcome text, detail text)
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_check';

COMMENT ON FUNCTION migrator.check(text) IS
    'apply, undo and reapply pending migrations in a rolled-back subtransaction; report down scripts that fail or do not restore the schema';

-- The schema fingerprint: one row per object outside the system schemas
-- and migrator's own, with what must stay equal.  Names are printed with
-- search_path = pg_catalog, so they are schema-qualified.  Privileges show
-- only where they differ from the defaults (a GRANT undone by REVOKE is no
-- change).
CREATE FUNCTION migrator.schema_fingerprint()
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
                 'owner', pg_get_userbyid(relowner), 'acl ' || nullif(relacl, acldefault(CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", relowner))::text,
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
                 CASE a.attidentity WHEN 'a' THEN 'generated always as identity'
                                    WHEN 'd' THEN 'generated by default as identity' END,
                 CASE WHEN a.attgenerated = 's' THEN 'generated always as'
                      WHEN d.adbin IS NOT NULL THEN 'default' END,
                 pg_get_expr(d.adbin, d.adrelid),
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

COMMENT ON FUNCTION migrator.schema_fingerprint() IS
    'the schema as check() and drift() compare it: one row per object with what must stay equal';

-- The fingerprint recorded after each apply() and rollback() (and at
-- CREATE EXTENSION), for drift().  One row, written only by migrator.
CREATE TYPE migrator.fingerprint_item AS (kind text, object text, definition text);

CREATE SEQUENCE migrator.schema_state_id_seq;

CREATE TABLE migrator.schema_state (
    id           bigint PRIMARY KEY
                 DEFAULT pg_catalog.nextval('migrator.schema_state_id_seq'),
    recorded_at  timestamptz NOT NULL,
    reason       text NOT NULL,
    fingerprint  migrator.fingerprint_item[]
);

ALTER SEQUENCE migrator.schema_state_id_seq OWNED BY migrator.schema_state.id;

COMMENT ON TABLE migrator.schema_state IS
    'the schema fingerprint as of the last apply() or rollback() (and as of CREATE EXTENSION), for drift()';

-- The row CREATE EXTENSION writes is not dumped: a restore runs CREATE
-- EXTENSION again, and the dumped fingerprint of the last apply() or
-- rollback() is the one drift() must compare with.
SELECT pg_catalog.pg_extension_config_dump('migrator.schema_state',
                                           $$WHERE reason <> 'create extension'$$);
SELECT pg_catalog.pg_extension_config_dump('migrator.schema_state_id_seq', '');

INSERT INTO migrator.schema_state (recorded_at, reason, fingerprint)
SELECT pg_catalog.clock_timestamp(), 'create extension',
       pg_catalog.array_agg(ROW(f.kind, f.object, f.definition)::migrator.fingerprint_item)
  FROM migrator.schema_fingerprint() AS f;

CREATE FUNCTION migrator.drift()
RETURNS TABLE (change text, kind text, object text, recorded text,
               current text, recorded_at timestamptz)
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'migrator_drift';

COMMENT ON FUNCTION migrator.drift() IS
    'schema changes made outside migrator since the last apply() or rollback()';

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA migrator FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA migrator FROM PUBLIC;
-- migrator: deploy (see docs/deploy.md).

CREATE PROCEDURE migrator.deploy(
    target text DEFAULT NULL,
    lock_timeout interval DEFAULT NULL,
    lock_retries integer DEFAULT NULL,
    allow_out_of_order boolean DEFAULT false)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'migrator_deploy';

COMMENT ON PROCEDURE migrator.deploy(text, interval, integer, boolean) IS
    'apply pending migrations up to target, each in a transaction of its own, retrying on lock timeout; runs non-transactional migrations in a background worker';

REVOKE ALL ON PROCEDURE migrator.deploy(text, interval, integer, boolean) FROM PUBLIC;

-- Progress of migrator.backfill(), one row per backfill; written only by
-- migrator's C code (protect_history), read by the extension owner.
CREATE TABLE migrator.backfills (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    relation      text NOT NULL,
    set_clause    text NOT NULL,
    filter        text,
    key_column    text NOT NULL,
    batch_size    integer NOT NULL,
    state         text NOT NULL DEFAULT 'running'
                  CHECK (state IN ('running', 'done')),
    last_key      text,
    rows_done     bigint NOT NULL DEFAULT 0,
    batches       bigint NOT NULL DEFAULT 0,
    started_by    text NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    updated_at    timestamptz,
    finished_at   timestamptz
);

COMMENT ON TABLE migrator.backfills IS
    'progress of migrator.backfill(); written only by migrator''s functions';

CREATE TRIGGER protect_history
    BEFORE UPDATE OR DELETE OR TRUNCATE ON migrator.backfills
    FOR EACH STATEMENT EXECUTE FUNCTION migrator.protect_history();
ALTER TABLE migrator.backfills ENABLE ALWAYS TRIGGER protect_history;
REVOKE ALL ON migrator.backfills FROM PUBLIC;

CREATE PROCEDURE migrator.backfill(
    relation regclass,
    set text,
    filter text DEFAULT NULL,
    batch_size integer DEFAULT 1000,
    key text DEFAULT NULL,
    restart boolean DEFAULT false)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'migrator_backfill';

COMMENT ON PROCEDURE migrator.backfill(regclass, text, text, integer, text, boolean) IS
    'UPDATE relation SET <set> [WHERE <filter>] in key-ordered batches, committing between batches; resumes where an interrupted call stopped';

REVOKE ALL ON PROCEDURE migrator.backfill(regclass, text, text, integer, text, boolean) FROM PUBLIC;
-- migrator: baseline, for adopting a history applied by another tool.

CREATE FUNCTION migrator.baseline(version text, reason text DEFAULT NULL)
RETURNS boolean
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_baseline';

COMMENT ON FUNCTION migrator.baseline(text, text) IS
    'mark a registered pending migration applied without running it (true), or do nothing if it is applied (false)';

REVOKE ALL ON FUNCTION migrator.baseline(text, text) FROM PUBLIC;
-- migrator: nothing in schema migrator is usable by PUBLIC, whatever the
-- modules above created.  Grants for a deploy role: see the README.
REVOKE ALL ON ALL ROUTINES IN SCHEMA migrator FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA migrator FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA migrator FROM PUBLIC;
