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
