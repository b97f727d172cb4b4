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
