-- Hostile and odd input: each gets a clear error or correct handling, and no
-- backend crashes.
CREATE DATABASE migrator_bad_input;
\c migrator_bad_input
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never

-- NULL in every argument of every function
SELECT migrator.register(NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT version, down IS NULL, verify IS NULL, name IS NULL, plan IS NULL, kind
  FROM migrator.register('n1', 'SELECT 1', NULL, NULL, NULL, NULL, NULL, true);
SELECT count(*) FROM migrator.apply(NULL, NULL);
SELECT * FROM migrator.rollback(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM migrator.rollback_to(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM migrator.verify(NULL);
SELECT migrator.version_key(NULL) IS NULL AS strict;

-- empty and whitespace-only SQL is a no-op migration
SELECT version, kind, findings FROM migrator.register('n2', '   
	 ');
SELECT version, outcome FROM migrator.apply();

-- versions: long, unicode, quotes, injection attempts are plain data
SELECT length(version) FROM migrator.register(repeat('9', 1000), 'SELECT 1');
SELECT version FROM migrator.register('2.0 ünïcødé ✓', 'SELECT 1');
SELECT version, name, plan FROM migrator.register($$3'); DROP TABLE migrator.migrations; --$$,
       'SELECT 1', name => $$x'); DELETE FROM migrator.events; --$$,
       plan => $$'; TRUNCATE migrator.events; --$$);
SELECT count(*) AS migrations_intact FROM migrator.migrations;
SELECT version FROM migrator.register(E'tab\there', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrator.register(E'del\x7f', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE

-- transaction control in any spelling is refused at registration
SELECT migrator.register('t1', 'COMMIT');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('t2', 'CREATE TABLE x (); ROLLBACK');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('t3', 'START TRANSACTION ISOLATION LEVEL SERIALIZABLE');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('t4', 'SAVEPOINT s; RELEASE s');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('t5', 'PREPARE TRANSACTION ''x''');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('t6', 'CREATE TABLE y (); COMMIT', transactional => false);
\echo :LAST_ERROR_SQLSTATE
-- psql meta-commands are not SQL
SELECT migrator.register('t7', E'\\i other.sql');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('t8', E'CREATE TABLE z ();\n\\gset');
\echo :LAST_ERROR_SQLSTATE

-- deeply nested expressions: a clean error, not a crash
\set VERBOSITY terse
SELECT version FROM migrator.register('deep', 'SELECT ' || repeat('(', 100000) || '1' || repeat(')', 100000));
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrator.register('deep2', 'SELECT ' || repeat('-', 200000) || '1');
SELECT count(*) AS applied FROM migrator.apply('deep2', allow_out_of_order => true);
\set VERBOSITY default

-- 10 MB of SQL in one statement, and 100k statements in one script (20k
-- under valgrind, which runs each statement some 40 times slower: the
-- valgrind suite sets MIGRATOR_MANY_STATEMENTS)
\getenv many MIGRATOR_MANY_STATEMENTS
\if :{?many}
\else
\set many 100000
\endif
SELECT version, length(up) FROM migrator.register('big',
       'SELECT ' || quote_literal(repeat('x', 10 * 1024 * 1024)) || ' AS big');
SELECT version, length(up) = 10 * :many AS every_statement FROM migrator.register('many', repeat('SELECT 1; ', :many));
SELECT version, outcome FROM migrator.apply(allow_out_of_order => true);
SELECT count(*) AS applied FROM migrator.status() WHERE state = 'applied';
