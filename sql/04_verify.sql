-- migrator.verify() and migrator.status().
CREATE DATABASE migrator_verify;
\c migrator_verify
CREATE EXTENSION migrator;
\set SHOW_CONTEXT errors

SELECT version FROM migrator.register('1', 'CREATE TABLE a (id int); INSERT INTO a VALUES (1)', 'DROP TABLE a',
       verify => 'SELECT count(*) = 1 FROM a');
SELECT version FROM migrator.register('2', 'CREATE TABLE b (id int)', 'DROP TABLE b',
       verify => 'SELECT id FROM b WHERE false');                       -- no rows: ok
SELECT version FROM migrator.register('3', 'CREATE TABLE c (id int)', 'DROP TABLE c');
SELECT version FROM migrator.register('4', 'CREATE TABLE d (id int)', 'DROP TABLE d',
       verify => 'SELECT exists (SELECT FROM d)');                       -- false
SELECT version FROM migrator.register('5', 'CREATE TABLE e (id int)', 'DROP TABLE e',
       verify => 'SELECT 1/0');                                          -- error
SELECT version FROM migrator.register('6', 'CREATE TABLE f (id int)', 'DROP TABLE f',
       verify => 'SELECT true; SELECT NULL::boolean');                   -- NULL counts as false
SELECT version FROM migrator.register('7', 'CREATE TABLE g (id int)', 'DROP TABLE g',
       verify => 'SELECT 1 FROM g LIMIT 0; SELECT 42');                  -- not boolean: ran without error
SELECT version FROM migrator.register('8', 'CREATE TABLE h (id int)', 'DROP TABLE h',
       verify => 'INSERT INTO h VALUES (1); SELECT count(*) = 1 FROM h'); -- its changes are undone
SELECT version FROM migrator.register('9', 'CREATE TABLE i (id int)', 'DROP TABLE i');
SELECT count(*) FROM migrator.apply('8');

SELECT * FROM migrator.verify();
SELECT count(*) AS rows_left_by_verify FROM h;
SELECT * FROM migrator.verify('1');
SELECT * FROM migrator.verify('9');
SELECT * FROM migrator.verify('nope');
\echo :LAST_ERROR_SQLSTATE

-- verify runs in the caller's transaction and leaves it usable
BEGIN;
SELECT count(*) FROM migrator.verify();
SELECT 1 AS still_usable;
COMMIT;

SELECT action, outcome, count(*) FROM migrator.events WHERE action = 'verify'
 GROUP BY action, outcome ORDER BY outcome;

-- status: one row per migration, in version order, with state spelled out
SELECT version, kind, state, applied_at IS NOT NULL AS has_applied_at, transactional FROM migrator.status();

-- a verify on a read-only transaction works and records nothing
BEGIN READ ONLY;
SELECT version, ok FROM migrator.verify('1');
COMMIT;
SELECT count(*) AS verify_events FROM migrator.events WHERE action = 'verify';
-- state-changing calls are refused in a read-only transaction
BEGIN READ ONLY;
SELECT * FROM migrator.apply();
ROLLBACK;
BEGIN READ ONLY;
SELECT migrator.register('10', 'SELECT 1');
ROLLBACK;
