-- migrator: staged changes (src/staged.c, docs/staged.md).

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
