-- migrator: baseline and import, for adopting a history applied by
-- another tool.

CREATE FUNCTION migrator.baseline(version text, reason text DEFAULT NULL)
RETURNS boolean
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_baseline';

COMMENT ON FUNCTION migrator.baseline(text, text) IS
    'mark a registered pending migration applied without running it (true), or do nothing if it is applied (false)';

REVOKE ALL ON FUNCTION migrator.baseline(text, text) FROM PUBLIC;

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
