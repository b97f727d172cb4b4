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

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA migrator FROM PUBLIC;
