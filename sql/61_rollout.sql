-- Rolling the guard out: observe, review the report, exempt the recurring
-- jobs, enforce (docs/operations.md follows these steps); and every time
-- the guard is switched off in a session, a trace.
CREATE DATABASE migrator_rollout;
\c migrator_rollout
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
CREATE ROLE etl LOGIN;
CREATE ROLE ops;
CREATE ROLE alice LOGIN IN ROLE ops;
CREATE ROLE bob LOGIN;
CREATE SCHEMA app;
CREATE TABLE app.staging (id int);
ALTER TABLE app.staging OWNER TO etl;
CREATE TABLE app.orders (id int);
ALTER TABLE app.orders OWNER TO etl;
CREATE TABLE app.events (at date, v int) PARTITION BY RANGE (at);
CREATE TABLE app.events_2020 PARTITION OF app.events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE app.events_2021 PARTITION OF app.events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE INDEX events_v ON app.events_2020 (v);
CREATE INDEX events_v21 ON app.events_2021 (v);
ALTER TABLE app.events OWNER TO ops;
ALTER TABLE app.events_2020 OWNER TO ops;
ALTER TABLE app.events_2021 OWNER TO ops;
CREATE TABLE app.legacy (id int);
CREATE INDEX orders_id ON app.orders (id);
CREATE INDEX orders_id2 ON app.orders (id);
GRANT USAGE ON SCHEMA app TO etl, ops, bob;
INSERT INTO app.staging VALUES (1);
INSERT INTO app.orders VALUES (1);
INSERT INTO app.events VALUES ('2020-06-01', 1), ('2021-06-01', 2);

-- 1. Observe: for the whole database, as a superuser sets it.  Would-be
-- refusals run, silently, and are recorded.
ALTER DATABASE migrator_rollout SET migrator.guard = observe;
\c migrator_rollout
\set SHOW_CONTEXT never
SHOW migrator.guard;
SET ROLE etl;
SET application_name = 'nightly-etl';
TRUNCATE app.staging;
INSERT INTO app.staging VALUES (1);
TRUNCATE app.staging;
RESET application_name;
RESET ROLE;
SET ROLE alice;
ALTER TABLE app.events DETACH PARTITION app.events_2020;
DROP INDEX app.events_v;
RESET ROLE;
DROP TABLE app.legacy;
-- recorded after it ran: it must be the first thing its transaction does
DROP INDEX CONCURRENTLY app.orders_id;
-- a would-be refusal in a transaction that rolls back leaves no row
BEGIN;
SET LOCAL ROLE etl;
TRUNCATE app.orders;
ROLLBACK;
SELECT count(*) AS legacy_left FROM pg_tables WHERE tablename = 'legacy';
SELECT action, outcome, rule, object, role, statement, detail FROM migrator.events
 WHERE action = 'observe' ORDER BY id;

-- 2. Review: what enforce mode would have refused, grouped.
SELECT rule, object, role, application_name, observed, blocked, statement
  FROM migrator.guard_report();
SELECT count(*) AS since_tomorrow FROM migrator.guard_report(since => now() + interval '1 day');

-- 3. Exempt what must keep running: the nightly TRUNCATE of the staging
-- table by etl, the monthly partition detach and index drops by the ops
-- team.
SELECT migrator.exempt(relation => 'app.staging', rule => 'truncate', role => 'etl',
                       reason => 'nightly reload of the staging table') AS staging;
SELECT migrator.exempt(relation => 'app.events', rule => 'detach_partition', role => 'ops',
                       reason => 'monthly archive of old partitions') AS detach;
SELECT migrator.exempt(rule => 'drop_index', role => 'ops',
                       reason => 'index maintenance by the ops team') AS drop_index;
-- the same exemption again is the same one
SELECT migrator.exempt(rule => 'drop_index', role => 'ops', reason => 'again') AS drop_index;
SELECT id, relation, rule, role, reason, granted_by FROM migrator.exemptions ORDER BY id;
SELECT action, outcome, rule, object, statement, detail FROM migrator.events
 WHERE action = 'exempt' ORDER BY id;

-- 4. Enforce.
ALTER DATABASE migrator_rollout RESET migrator.guard;
\c migrator_rollout
\set SHOW_CONTEXT never
\set VERBOSITY terse
SHOW migrator.guard;
-- exempt: runs, and each use is an allow event naming the exemption
SET ROLE etl;
INSERT INTO app.staging VALUES (2);
TRUNCATE app.staging;
SET search_path = app;
INSERT INTO staging VALUES (3);
TRUNCATE staging;
RESET search_path;
-- not exempt: another table, another rule
TRUNCATE app.orders;
DROP TABLE app.staging;
RESET ROLE;
SET ROLE alice;
ALTER TABLE app.events DETACH PARTITION app.events_2021;
DROP INDEX app.events_v21;
-- DROP INDEX CONCURRENTLY, which runs outside a transaction block, too
RESET ROLE;
CREATE INDEX events_v21 ON app.events_2021 (v);
SET ROLE alice;
DROP INDEX CONCURRENTLY app.events_v21;
-- not exempt: another rule
DROP TABLE app.events_2021;
RESET ROLE;
-- not exempt: another role, superusers included (they are no members)
CREATE INDEX events_v21 ON app.events_2021 (v);
SET ROLE bob;
DROP INDEX app.events_v21;
RESET ROLE;
TRUNCATE app.staging;
SELECT action, outcome, rule, object, role, statement, detail FROM migrator.events
 WHERE action = 'allow' ORDER BY id;
SELECT rule, object, role, observed, blocked FROM migrator.guard_report(
    since => (SELECT max(at) FROM migrator.events WHERE action = 'exempt'));
SELECT count(*) AS staging_rows FROM app.staging;

-- revoked: refused again
SELECT migrator.unexempt(1, reason => 'the staging table is loaded by COPY now');
SET ROLE etl;
TRUNCATE app.staging;
RESET ROLE;
SELECT id, rule FROM migrator.exemptions ORDER BY id;
SELECT action, rule, object, statement, detail FROM migrator.events
 WHERE action = 'unexempt';

-- who and what may be exempted
GRANT USAGE ON SCHEMA migrator TO etl;
GRANT EXECUTE ON FUNCTION migrator.exempt(regclass, text, name, text),
                          migrator.unexempt(bigint, text) TO etl;
SET ROLE etl;
SELECT migrator.exempt(relation => 'app.orders', rule => 'truncate', reason => 'mine');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.unexempt(2, reason => 'mine');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT migrator.exempt(rule => 'truncate', reason => 'everything');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.exempt(relation => 'app.orders');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.exempt(relation => 'app.orders', rule => 'create_trigger', reason => 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.exempt(relation => 'app.orders', rule => 'no_such_rule', reason => 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.exempt(role => 'etl', rule => 'alter_migrator', reason => 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.exempt(relation => 'migrator.events', reason => 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.exempt(role => 'nobody', reason => 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.unexempt(999, reason => 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.unexempt(2);
\echo :LAST_ERROR_SQLSTATE
-- the catalog is migrator's: not even a superuser edits it
DELETE FROM migrator.exemptions;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE migrator.exemptions DISABLE TRIGGER protect_history;
\echo :LAST_ERROR_SQLSTATE
-- an exemption never covers migrator's own objects: a role-only one of a
-- superuser role covers its other statements, not those
CREATE ROLE dba SUPERUSER;
SELECT migrator.exempt(role => 'dba', reason => 'the DBA team') AS dba \gset
CREATE TABLE app.scratch_old (id int);
SET ROLE dba;
DROP TABLE app.scratch_old;
ALTER TABLE migrator.exemptions DISABLE TRIGGER protect_history;
\echo :LAST_ERROR_SQLSTATE
DROP TABLE migrator.exemptions;
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA migrator CASCADE;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT migrator.unexempt(:dba, reason => 'the DBA team uses allow()');
SELECT count(*) AS exemptions_table_left FROM pg_tables
 WHERE schemaname = 'migrator' AND tablename = 'exemptions';

-- warn mode records as observe mode does, and tells the client, also of
-- what an exemption lets through
SET migrator.guard = warn;
TRUNCATE app.orders;
CREATE INDEX events_v22 ON app.events_2021 (v);
SET ROLE alice;
DROP INDEX app.events_v22;
RESET ROLE;
RESET migrator.guard;
SELECT action, outcome, rule, object FROM migrator.events ORDER BY id DESC LIMIT 2;

-- 5. Switching the guard off leaves a trace each time it takes effect.
SET migrator.guard = off;
TRUNCATE app.orders;
TRUNCATE app.orders;
RESET migrator.guard;
BEGIN;
SET LOCAL migrator.guard = off;
DROP TABLE app.events_2020;
COMMIT;
CREATE FUNCTION app.try_truncate() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        TRUNCATE app.staging;
        RAISE EXCEPTION 'undone';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
END $$;
GRANT EXECUTE ON FUNCTION app.try_truncate() TO etl;
-- set_config() is no utility statement: the next one leaves the trace,
-- after it ran when it must be the first thing its transaction does
SELECT set_config('migrator.guard', 'off', false);
DROP INDEX CONCURRENTLY app.orders_id2;
RESET migrator.guard;
-- a function's SET clause
CREATE FUNCTION app.reload() RETURNS void LANGUAGE plpgsql SET migrator.guard = off
    AS $$ BEGIN TRUNCATE app.staging; END $$;
SELECT app.reload();
SELECT app.reload();
-- at connection: ALTER ROLE SET
ALTER ROLE etl SET migrator.guard = off;
\c - etl
\set SHOW_CONTEXT never
SELECT current_setting('migrator.guard') AS guard;
-- a trace that rolls back is written again by the next statement: BEGIN
-- writes it here, in the transaction that rolls back,
BEGIN;
TRUNCATE app.staging;
ROLLBACK;
-- the function's TRUNCATE in a subtransaction that rolls back,
SELECT app.try_truncate();
-- and this statement for good
TRUNCATE app.staging;
TRUNCATE app.staging;
\c - postgres
ALTER ROLE etl RESET migrator.guard;
SELECT role, statement, detail FROM migrator.events WHERE action = 'guard_off' ORDER BY id;

-- the database is protected (guard-databases.md) until this
SECURITY LABEL FOR migrator ON DATABASE migrator_rollout IS NULL;
\c postgres
DROP DATABASE migrator_rollout;
DROP ROLE etl;
DROP ROLE alice;
DROP ROLE bob;
DROP ROLE ops;
DROP ROLE dba;
