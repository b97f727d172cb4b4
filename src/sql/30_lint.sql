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
--
-- The text is the same on every server version for the same schema, so that
-- drift() after a pg_upgrade compares like with like (docs/versions.md):
-- NOT NULL is a property of the column or domain (17 keeps a domain's, 18 a
-- column's, as a pg_constraint row too: shown only for what older versions
-- cannot express, NOT VALID and NO INHERIT), a virtual generated column
-- (18) says so, and a table privilege held in full reads the same with or
-- without MAINTAIN (m, 17), which pg_upgrade adds to every full grant.
-- A constraint of a relation the catalog query does not show is left out:
-- Citus hides its shards from pg_class (citus.c), not from pg_constraint.
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
