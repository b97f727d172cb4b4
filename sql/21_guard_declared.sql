-- A migration that declares several destructive statements runs all of them,
-- through apply() and through deploy(): the guard's cache of what the running
-- migration declares must outlive the SPI calls that filled it.  (The Ory
-- Hydra history stopped at 20190300000007000000, whose second DROP DEFAULT
-- was refused, before the cache was built in the right memory context.)
CREATE DATABASE migrator_guard_declared;
\c migrator_guard_declared
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
SELECT version FROM migrator.register('1',
  'CREATE TABLE a (id int DEFAULT 1, v int DEFAULT 1);
   CREATE TABLE b (id int DEFAULT 1, v int DEFAULT 1);
   CREATE TABLE c (id int DEFAULT 1, v int DEFAULT 1)', 'DROP TABLE a, b, c');
SELECT count(*) FROM migrator.apply();

SELECT version, kind FROM migrator.register('2',
  '-- comments before statements, as real histories have them
   ALTER TABLE a ALTER COLUMN id DROP DEFAULT;
   -- another
   ALTER TABLE b ALTER COLUMN id DROP DEFAULT;
   UPDATE c SET v = 2 WHERE id = 1;
   ALTER TABLE c ALTER COLUMN id DROP DEFAULT;
   ALTER TABLE a DROP COLUMN v',
  'SELECT 1', plan => 'several contract steps in one migration') ;
SELECT version, outcome FROM migrator.apply();

SELECT version, kind FROM migrator.register('3',
  'ALTER TABLE a ALTER COLUMN id SET DEFAULT 5;
   ALTER TABLE b DROP COLUMN v;
   ALTER TABLE c DROP COLUMN v;
   ALTER TABLE a ALTER COLUMN id DROP DEFAULT;
   ALTER TABLE b ALTER COLUMN id SET DEFAULT 7;
   ALTER TABLE b ALTER COLUMN id DROP DEFAULT',
  'SELECT 1', plan => 'the same through deploy');
SET client_min_messages = warning;
CALL migrator.deploy();
RESET client_min_messages;
SELECT version, state FROM migrator.status();
SELECT table_name, column_name, column_default FROM information_schema.columns
 WHERE table_schema = 'public' ORDER BY 1, 2;
SELECT count(*) AS blocked FROM migrator.events WHERE outcome = 'blocked';

-- A DROP inside a DO block is opaque at registration: declared destructive,
-- it is still refused when it runs, unless the script allows it by name
-- first (the README's advice for DO blocks).
CREATE TABLE legacy (id int);
SELECT version, kind FROM migrator.register('4',
  $up$DO $do$ BEGIN DROP TABLE legacy; END $do$$up$,
  'CREATE TABLE legacy (id int)', kind => 'destructive', plan => 'legacy is unused');
SELECT * FROM migrator.apply();
SELECT version, kind FROM migrator.register('4',
  $up$SELECT migrator.allow('DROP TABLE legacy', reason => 'migration 4');
      DO $do$ BEGIN DROP TABLE legacy; END $do$$up$,
  'CREATE TABLE legacy (id int)', kind => 'destructive', plan => 'legacy is unused');
SELECT version, outcome FROM migrator.apply();
SELECT to_regclass('legacy') AS legacy;
SELECT action, outcome, version, rule, detail FROM migrator.events
 WHERE action = 'allow' ORDER BY id;
-- In warn mode the undeclared statement runs, with one WARNING.
CREATE TABLE legacy2 (id int);
SELECT version, kind FROM migrator.register('5',
  $up$DO $do$ BEGIN DROP TABLE legacy2; END $do$$up$,
  'CREATE TABLE legacy2 (id int)', kind => 'destructive', plan => 'legacy2 is unused');
SET migrator.guard = warn;
SELECT version, outcome FROM migrator.apply();
RESET migrator.guard;
SELECT to_regclass('legacy2') AS legacy2;
