-- migrator: baseline, for adopting a history applied by another tool.

CREATE FUNCTION migrator.baseline(version text, reason text DEFAULT NULL)
RETURNS boolean
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'migrator_baseline';

COMMENT ON FUNCTION migrator.baseline(text, text) IS
    'mark a registered pending migration applied without running it (true), or do nothing if it is applied (false)';

REVOKE ALL ON FUNCTION migrator.baseline(text, text) FROM PUBLIC;
