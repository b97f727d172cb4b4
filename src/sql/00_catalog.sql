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
    -- Added in 0.3: registered by migrator.import(), as history applied
    -- before migrator; and why the migration cannot be rolled back (NULL:
    -- it can, as far as migrator knows).
    imported       boolean NOT NULL DEFAULT false,
    irreversible   text,
    -- Added in 0.3 (NULL in rows registered before): where each statement of
    -- up starts and ends, so that apply() need not split it again.
    up_statements  int4[],
    CHECK ((state = 'applied') = (apply_seq IS NOT NULL))
);

COMMENT ON TABLE migrator.migrations IS
    'every registered migration; written only by migrator''s functions';
COMMENT ON COLUMN migrator.migrations.imported IS
    'registered by migrator.import(): history applied before migrator, taken as it is';
COMMENT ON COLUMN migrator.migrations.irreversible IS
    'why rollback() refuses the migration, e.g. ''irreversible (imported)'' for an imported one whose down script is empty; NULL when it has a down script';
COMMENT ON COLUMN migrator.migrations.up_statements IS
    'how register() split up into statements: the parser''s stamp (server major version, standard_conforming_strings), then the byte offsets where each statement starts and ends; apply() uses them after checking the checksum (NULL before 0.3)';

CREATE SEQUENCE migrator.events_id_seq;

CREATE TABLE migrator.events (
    id             bigint PRIMARY KEY
                   DEFAULT pg_catalog.nextval('migrator.events_id_seq'),
    at             timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    version        text,
    action         text NOT NULL
                   CHECK (action IN ('register', 'apply', 'rollback', 'verify', 'block', 'allow',
                                     'observe', 'guard_off', 'exempt', 'unexempt',
                                     'unregister', 'prune')),
    migration_type text
                   CHECK (migration_type IN ('additive', 'staged', 'destructive')),
    outcome        text NOT NULL
                   CHECK (outcome IN ('success', 'partial', 'blocked', 'failed',
                                      'observed', 'warned')),
    role           text NOT NULL DEFAULT SESSION_USER,
    database       text NOT NULL DEFAULT pg_catalog.current_database(),
    rule           text,
    statement      text,
    detail         text,
    -- Added in 0.2 (NULL in rows written before): where the call came from.
    application_name text,
    client_addr    inet,
    -- Added in 0.3 (NULL before, and for events about no object): the
    -- object a guard event is about, as the guard names it.
    object         text
);

ALTER SEQUENCE migrator.events_id_seq OWNED BY migrator.events.id;

COMMENT ON TABLE migrator.events IS
    'append-only log of register, apply, rollback, verify, guard decisions and housekeeping; pruned only by migrator.prune_events()';
COMMENT ON COLUMN migrator.events.application_name IS
    'application_name of the session that made the call (NULL before 0.2)';
COMMENT ON COLUMN migrator.events.client_addr IS
    'client address of that session; NULL for a Unix-socket connection and before 0.2';
COMMENT ON COLUMN migrator.events.object IS
    'object of a guard event (block, observe, allow by exemption), as the guard names it; NULL before 0.3';

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

REVOKE ALL ON ALL TABLES IN SCHEMA migrator FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA migrator FROM PUBLIC;
REVOKE ALL ON SCHEMA migrator FROM PUBLIC;
