-- migrator.drift(): schema changes made outside migrator since the last
-- apply() or rollback().
CREATE DATABASE migrator_drift;
\c migrator_drift
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never

-- CREATE EXTENSION records a first fingerprint
SELECT reason FROM migrator.schema_state ORDER BY id;
SELECT * FROM migrator.drift();
-- a table created by hand is drift
CREATE TABLE early (id int);
SELECT change, kind, object, recorded, current FROM migrator.drift();

SELECT version FROM migrator.register('1', 'CREATE TABLE acct (id int PRIMARY KEY, balance numeric DEFAULT 0)', 'DROP TABLE acct');
SELECT version FROM migrator.register('2', 'CREATE INDEX acct_balance ON acct (balance)', 'DROP INDEX acct_balance');
-- register() alone records nothing
SELECT reason FROM migrator.schema_state ORDER BY id;
SELECT version FROM migrator.apply();
-- apply() records the schema as it leaves it
SELECT reason FROM migrator.schema_state ORDER BY id;
SELECT count(*) AS drift FROM migrator.drift();

-- the DBA's hot fix, made by a superuser with the guard switched off (with
-- the guard on, the destructive parts would be refused): every kind of
-- change shows
SET migrator.guard = off;
CREATE INDEX acct_hotfix ON acct (id, balance);
ALTER TABLE acct ALTER COLUMN balance SET DEFAULT 1;
DROP INDEX acct_balance;
GRANT SELECT ON acct TO public;
CREATE FUNCTION helper() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE VIEW rich AS SELECT count(*) AS n FROM acct;
ALTER TABLE acct ADD CONSTRAINT positive CHECK (balance >= 0);
CREATE TRIGGER t BEFORE UPDATE ON acct FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
SELECT change, kind, object, recorded, current FROM migrator.drift();

-- undone by hand: no drift
DROP TRIGGER t ON acct;
ALTER TABLE acct DROP CONSTRAINT positive;
DROP VIEW rich;
DROP FUNCTION helper();
REVOKE SELECT ON acct FROM public;
CREATE INDEX acct_balance ON acct (balance);
ALTER TABLE acct ALTER COLUMN balance SET DEFAULT 0;
DROP INDEX acct_hotfix;
SELECT count(*) AS drift FROM migrator.drift();

-- rollback() records too
SELECT version FROM migrator.rollback();
SELECT reason FROM migrator.schema_state ORDER BY id;
SELECT count(*) AS drift FROM migrator.drift();
-- a changed column type
ALTER TABLE acct ALTER COLUMN id TYPE bigint;
SELECT change, kind, object, recorded, current FROM migrator.drift();
-- A view recorded as another server version deparsed it (after pg_upgrade:
-- 16 stopped qualifying the columns of single-relation views) is no drift
-- when this server deparses the recorded query alike; a recorded query that
-- means something else is drift.  The record is edited to stand for the
-- older server's.
ALTER TABLE acct ALTER COLUMN id TYPE integer;
SELECT version FROM migrator.register('3', 'CREATE VIEW low AS SELECT id FROM acct WHERE balance < 10', 'DROP VIEW low');
SELECT version FROM migrator.apply();
UPDATE migrator.schema_state
   SET fingerprint = (SELECT array_agg(CASE WHEN f.object = 'public.low' AND f.kind = 'view'
                                            THEN ROW(f.kind, f.object,
                                                     regexp_replace(f.definition, '^(owner \S+ ).*$',
                                                                    '\1 SELECT acct.id FROM public.acct WHERE (acct.balance < (10)::numeric);', 's'))::migrator.fingerprint_item
                                            ELSE f END)
                        FROM unnest(fingerprint) AS f)
 WHERE reason <> 'create extension';
SELECT count(*) AS drift FROM migrator.drift();
UPDATE migrator.schema_state
   SET fingerprint = (SELECT array_agg(CASE WHEN f.object = 'public.low' AND f.kind = 'view'
                                            THEN ROW(f.kind, f.object,
                                                     regexp_replace(f.definition, '^(owner \S+ ).*$',
                                                                    '\1 SELECT acct.id FROM public.acct WHERE (acct.balance < (20)::numeric);', 's'))::migrator.fingerprint_item
                                            ELSE f END)
                        FROM unnest(fingerprint) AS f)
 WHERE reason <> 'create extension';
SELECT change, kind, object FROM migrator.drift();
-- a recorded query that no longer parses is drift too
UPDATE migrator.schema_state
   SET fingerprint = (SELECT array_agg(CASE WHEN f.object = 'public.low' AND f.kind = 'view'
                                            THEN ROW(f.kind, f.object,
                                                     regexp_replace(f.definition, '^(owner \S+ ).*$', '\1 SELECT FROM WHERE;', 's'))::migrator.fingerprint_item
                                            ELSE f END)
                        FROM unnest(fingerprint) AS f)
 WHERE reason <> 'create extension';
SELECT change, kind, object FROM migrator.drift();

-- drift() is not for PUBLIC, and needs no privilege on migrator's tables
CREATE ROLE migrator_drift_reader;
SET ROLE migrator_drift_reader;
SELECT count(*) FROM migrator.drift();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT USAGE ON SCHEMA migrator TO migrator_drift_reader;
GRANT EXECUTE ON FUNCTION migrator.drift() TO migrator_drift_reader;
SET ROLE migrator_drift_reader;
SELECT count(*) FROM migrator.drift();
RESET ROLE;
DROP OWNED BY migrator_drift_reader;
DROP ROLE migrator_drift_reader;

-- apply() takes the fingerprint at commit; if the extension is dropped later
-- in the same transaction (guard off, superuser), the commit still succeeds
BEGIN;
SELECT version FROM migrator.register('99', 'CREATE TABLE late (id int)', 'DROP TABLE late');
SELECT version FROM migrator.apply();
SET LOCAL migrator.guard = off;
DROP EXTENSION migrator;
COMMIT;
SELECT to_regclass('late') IS NOT NULL AS late_created,
       NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'migrator') AS extension_gone;
