-- Staged plans: a contract step applies only after the expand and backfill
-- steps it depends on are applied and verified.
CREATE DATABASE migrator_staged;
\c migrator_staged
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never

SELECT version, kind FROM migrator.register('1',
  'CREATE TABLE users (id int PRIMARY KEY, name text);
   INSERT INTO users VALUES (1, ''ann''), (2, ''bob''), (3, ''cy'')', 'DROP TABLE users');
-- expand
SELECT version, kind FROM migrator.register('2', 'ALTER TABLE users ADD COLUMN full_name text',
  'ALTER TABLE users DROP COLUMN full_name');
-- backfill, incomplete on purpose, with a verify script that proves it
SELECT version, kind FROM migrator.register('3',
  'UPDATE users SET full_name = name WHERE id < 3', 'SELECT 1',
  verify => 'SELECT count(*) = 0 FROM users WHERE full_name IS NULL');
-- contract
SELECT version, kind, depends_on FROM migrator.register('4', 'ALTER TABLE users DROP COLUMN name',
  down => 'ALTER TABLE users ADD COLUMN name text; UPDATE users SET name = full_name',
  plan => 'contract of 2 (expand) and 3 (backfill, verified by its verify script)',
  depends_on => '{2,3}');

-- refusals at registration: unknown, newer, null, two-dimensional
SELECT migrator.register('5', 'SELECT 1', depends_on => '{0.5}');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('5', 'SELECT 1', depends_on => '{6}');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('5', 'SELECT 1', depends_on => ARRAY['2', NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('5', 'SELECT 1', depends_on => '{{2},{3}}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM migrator.migrations WHERE version = '5';

-- the backfill is incomplete: the contract step is refused, and nothing of
-- the call stays (3 was applied in the same call and is rolled back too)
SELECT version FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
SELECT version, state FROM migrator.status();

-- complete the backfill: 4 applies after 3 in the same call
SELECT version FROM migrator.register('3',
  'UPDATE users SET full_name = name WHERE full_name IS NULL', 'SELECT 1',
  verify => 'SELECT count(*) = 0 FROM users WHERE full_name IS NULL');
SELECT version FROM migrator.apply();
SELECT * FROM users ORDER BY id;
SELECT version, state, depends_on FROM migrator.status();

-- a staged dependency without a verify script cannot prove its backfill
SELECT version FROM migrator.register('5', 'ALTER TABLE users ADD COLUMN nick text; UPDATE users SET nick = full_name',
  'ALTER TABLE users DROP COLUMN nick');
SELECT version FROM migrator.register('6', 'ALTER TABLE users DROP COLUMN full_name',
  down => 'ALTER TABLE users ADD COLUMN full_name text; UPDATE users SET full_name = nick',
  plan => 'contract of 5', depends_on => '{5}');
SELECT version FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
-- an additive dependency needs no verify script
SELECT version FROM migrator.register('6', 'ALTER TABLE users DROP COLUMN full_name',
  down => 'ALTER TABLE users ADD COLUMN full_name text; UPDATE users SET full_name = nick',
  plan => 'contract of 2', depends_on => '{2}');
SELECT version FROM migrator.apply();
-- depends_on is part of what an applied migration may not change
SELECT migrator.register('6', 'ALTER TABLE users DROP COLUMN full_name',
  down => 'ALTER TABLE users ADD COLUMN full_name text; UPDATE users SET full_name = nick',
  plan => 'contract of 2', depends_on => '{2,5}');
\echo :LAST_ERROR_SQLSTATE
-- existing calls without depends_on keep working
SELECT version, depends_on FROM migrator.register('7', 'CREATE TABLE t7 ()', 'DROP TABLE t7');
