-- migrator.check(): up, down and up again in a subtransaction that is
-- always rolled back; reports down scripts that fail or do not restore.
CREATE DATABASE migrator_check;
\c migrator_check
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never

-- one migration already applied: check() works on the pending ones on top
SELECT version FROM migrator.register('1', 'CREATE TABLE a (id int PRIMARY KEY, v text)', 'DROP TABLE a');
SELECT version FROM migrator.apply();

SELECT version FROM migrator.register('2', 'ALTER TABLE a ADD COLUMN w int DEFAULT 1; CREATE INDEX a_w ON a (w)',
  'ALTER TABLE a DROP COLUMN w');
-- a down that fails: the view depends on the table
SELECT version FROM migrator.register('3', 'CREATE TABLE b (id int); CREATE VIEW bv AS SELECT * FROM b', 'DROP TABLE b');
-- a down that forgets the privileges up granted
SELECT version FROM migrator.register('4', 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS ''SELECT 1''; GRANT SELECT ON a TO public',
  'DROP FUNCTION f()');
SELECT version FROM migrator.register('5', 'CREATE SEQUENCE s');
-- a down that leaves a changed table behind
SELECT version FROM migrator.register('6', 'CREATE TABLE c (id int, x int CHECK (x > 0))',
  'DROP TABLE c; CREATE TABLE c (id bigint)');
-- an up that is not the same the second time
-- (sequences are not transactional: nextval() differs on the second run)
CREATE SEQUENCE seq7;
SELECT version FROM migrator.register('7', $$CREATE TABLE g (id int);
DO 'BEGIN EXECUTE format(''ALTER TABLE g ADD COLUMN c%s int'', nextval(''seq7'')); END'$$, 'DROP TABLE g');
-- an up whose second run fails because down left something behind
SELECT version FROM migrator.register('8', 'CREATE TYPE mood AS ENUM (''ok''); CREATE TABLE d (m mood)', 'DROP TABLE d');
-- non-transactional migrations are skipped
SELECT version FROM migrator.register('9', 'CREATE INDEX CONCURRENTLY a_v ON a (v)', 'DROP INDEX CONCURRENTLY a_v',
  transactional => false);
SELECT version FROM migrator.register('10', 'CREATE TABLE e (id int)', 'DROP TABLE e');

-- fingerprint and history before
CREATE TEMP TABLE before AS
  SELECT (SELECT string_agg(kind || ' ' || object || ' ' || definition, E'\n' ORDER BY kind, object)
            FROM migrator.schema_fingerprint()) AS fp,
         (SELECT count(*) FROM migrator.events) AS events,
         (SELECT string_agg(version || state, ',' ORDER BY version) FROM migrator.migrations) AS states;

SELECT * FROM migrator.check();
-- up to a target
SELECT version, outcome FROM migrator.check('3');
SELECT * FROM migrator.check('nope');
\echo :LAST_ERROR_SQLSTATE

-- nothing of check() remains: schema, history, events
SELECT fp = (SELECT string_agg(kind || ' ' || object || ' ' || definition, E'\n' ORDER BY kind, object)
               FROM migrator.schema_fingerprint()) AS same_schema,
       events = (SELECT count(*) FROM migrator.events) AS same_events,
       states = (SELECT string_agg(version || state, ',' ORDER BY version) FROM migrator.migrations) AS same_states
  FROM before;
SELECT count(*) FROM pg_class WHERE relname IN ('b', 'bv', 'c', 'd', 'e', 's');

-- an up that fails stops the check: later migrations build on it
SELECT version FROM migrator.register('11', 'CREATE TABLE e (id int)', 'DROP TABLE e');
SELECT version FROM migrator.register('12', 'CREATE TABLE f (id int)', 'DROP TABLE f');
SELECT version, outcome, detail FROM migrator.check() WHERE version IN ('10', '11', '12');

-- scripts run with the caller's rights
CREATE ROLE migrator_check_deployer;
GRANT USAGE ON SCHEMA migrator TO migrator_check_deployer;
GRANT EXECUTE ON FUNCTION migrator.check(text) TO migrator_check_deployer;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SET ROLE migrator_check_deployer;
SELECT version, outcome, detail FROM migrator.check('2');
RESET ROLE;
-- cleanup of the test role: not a migration, so with the guard off
SET migrator.guard = off;
DROP OWNED BY migrator_check_deployer;
DROP ROLE migrator_check_deployer;
