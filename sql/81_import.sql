-- migrator.import(): a history applied before migrator, taken as it is.
CREATE DATABASE migrator_import;
\c migrator_import
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
\set VERBOSITY default

-- register() refuses an unplanned destructive migration without down ...
SELECT version FROM migrator.register('1', 'CREATE TABLE t (id int, junk text)', 'DROP TABLE t');
SELECT version FROM migrator.register('2', 'ALTER TABLE t DROP COLUMN junk');
-- ... import() takes it: the plan says it is imported history, and a
-- missing down script makes it irreversible (imported)
SELECT version, kind, imported, irreversible, plan
  FROM migrator.import('2', 'ALTER TABLE t DROP COLUMN junk');
-- a down script of comments only does nothing: irreversible too
SELECT version, kind, imported, irreversible, plan IS NULL AS no_plan
  FROM migrator.import('3', 'CREATE TABLE u (id int)', '-- Down migrations are not available');
-- a migration whose up does nothing is undone by a down that does nothing
SELECT version, imported, irreversible
  FROM migrator.import('4', '-- only for MySQL', '');
-- a plan and a down script of its own are kept
SELECT version, kind, irreversible, plan
  FROM migrator.import('5', 'DROP TABLE u', 'CREATE TABLE u (id int)', plan => 'u was never read');
-- import judges SQL as register does
SELECT version FROM migrator.import('6', 'CREATE TABLE v (id int');
SELECT version FROM migrator.import('6', 'CREATE INDEX CONCURRENTLY ON t (id)');

-- status() shows the irreversible ones among their findings, with a count
-- (only that finding here: the others are lint's, tested with lint)
SELECT version, warnings,
       jsonb_path_query_array(findings, '$[*] ? (@.rule == "irreversible")') AS irreversible
  FROM migrator.status() ORDER BY version;

-- events record what import did
SELECT version, action, outcome,
       regexp_replace(detail, 'checksum [0-9a-f]+', 'checksum ...') AS detail
  FROM migrator.events WHERE action = 'register' ORDER BY id;

-- importing the same again changes nothing
SELECT version, irreversible FROM migrator.import('2', 'ALTER TABLE t DROP COLUMN junk');
SELECT count(*) AS register_events FROM migrator.events WHERE action = 'register';
-- and register() of the same files afterwards keeps what import recorded,
-- so the directory can go on being pushed without import
SELECT version, imported, irreversible, plan
  FROM migrator.register('2', 'ALTER TABLE t DROP COLUMN junk');
SELECT count(*) AS register_events FROM migrator.events WHERE action = 'register';

SELECT version, outcome FROM migrator.apply();

-- check() of pending imported migrations reports irreversible ones as such
SELECT version, irreversible FROM migrator.import('7', 'ALTER TABLE t ADD COLUMN z int', '');
SELECT version, outcome, detail FROM migrator.check();
SELECT version, outcome FROM migrator.apply();

-- rollback() refuses an irreversible migration
SELECT version FROM migrator.rollback(1);
-- a down script registered later makes it reversible
SELECT version, irreversible
  FROM migrator.register('7', 'ALTER TABLE t ADD COLUMN z int', 'ALTER TABLE t DROP COLUMN z');
SELECT version, warnings FROM migrator.status() WHERE version = '7';
SELECT version FROM migrator.rollback(1);
-- four steps reach 3, which is irreversible: refused before anything is undone
SELECT version FROM migrator.rollback(4);
SELECT string_agg(version, ',' ORDER BY version) AS applied FROM migrator.status() WHERE state = 'applied';

-- import() has a grant of its own: register() alone is not enough
CREATE ROLE migrator_importer;
GRANT USAGE ON SCHEMA migrator TO migrator_importer;
GRANT EXECUTE ON FUNCTION migrator.register(text, text, text, text, text, text, text, boolean, text[]) TO migrator_importer;
SET ROLE migrator_importer;
SELECT version FROM migrator.import('8', 'DROP TABLE t');
RESET ROLE;
SET migrator.guard = off;
DROP OWNED BY migrator_importer;
DROP ROLE migrator_importer;

