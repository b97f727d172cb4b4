-- migrator.register(): storing, classifying and refusing migrations.
CREATE DATABASE migrator_register;
\c migrator_register
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never

-- an additive migration
SELECT version, name, kind, state, transactional, length(checksum) AS checksum_len, findings
  FROM migrator.register('1', 'CREATE TABLE t1 (id int PRIMARY KEY)', 'DROP TABLE t1', name => 'create t1');

-- the checksum is the SHA-256 of up
SELECT checksum = encode(sha256(convert_to(up, 'UTF8')), 'hex') AS sha256_matches
  FROM migrator.migrations WHERE version = '1';

-- the same content again is a no-op: no second event
SELECT version, state FROM migrator.register('1', 'CREATE TABLE t1 (id int PRIMARY KEY)', 'DROP TABLE t1', name => 'create t1');
SELECT version, action, migration_type, outcome FROM migrator.events ORDER BY id;

-- different content replaces a pending migration
SELECT version, up FROM migrator.register('1', 'CREATE TABLE t1 (id bigint PRIMARY KEY)', 'DROP TABLE t1', name => 'create t1');
SELECT version, action, outcome, detail LIKE 'replaced pending migration%' AS replaced
  FROM migrator.events ORDER BY id;

-- empty and comment-only migrations are kept (other databases' migrations)
SELECT version, kind, findings FROM migrator.register('2', '');
SELECT version, kind FROM migrator.register('3', '-- nothing for PostgreSQL
/* block comment */');

-- staged: backfills, dual-write triggers, NOT VALID + VALIDATE
SELECT version, kind, findings FROM migrator.register('4',
  'ALTER TABLE t1 ADD COLUMN v int; UPDATE t1 SET v = id');
SELECT kind, jsonb_path_query_array(findings, '$[*].rule') AS rules
  FROM migrator.register('5', 'INSERT INTO t1 SELECT id + 100 FROM t1');
SELECT kind FROM migrator.register('5b', 'INSERT INTO t1 VALUES (1)');
SELECT kind, jsonb_path_query_array(findings, '$[*].rule') AS rules
  FROM migrator.register('6', 'ALTER TABLE t1 ADD CONSTRAINT c CHECK (id > 0) NOT VALID;
                               ALTER TABLE t1 VALIDATE CONSTRAINT c');
SELECT kind, jsonb_path_query_array(findings, '$[*].rule') AS rules
  FROM migrator.register('7', $$CREATE TRIGGER dual AFTER INSERT ON t1 FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()$$);

-- destructive without a plan and a down: refused, naming the statements
SELECT migrator.register('10', 'CREATE TABLE x (a int); DROP TABLE t1 CASCADE');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('10', 'ALTER TABLE t1 DROP COLUMN v, ALTER COLUMN id DROP NOT NULL', down => 'select 1');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('10', 'TRUNCATE t1', plan => '   ', down => 'select 1');
\echo :LAST_ERROR_SQLSTATE
-- with both it is accepted
SELECT kind, jsonb_path_query_array(findings, '$[*].rule') AS rules
  FROM migrator.register('10', 'ALTER TABLE t1 DROP COLUMN v', down => 'ALTER TABLE t1 ADD COLUMN v int',
                         plan => 'contract step of 4: v was backfilled and verified by 4''s verify');

-- each destructive rule fires (checked through the findings)
CREATE FUNCTION pg_temp.rules(sql text) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(f->>'rule' || coalesce(':' || (f->>'object'), ''), ' ' ORDER BY ord)
    FROM migrator.register('probe', sql, down => 'SELECT 1', plan => 'probe', kind => 'destructive', transactional => false) r,
         jsonb_array_elements(r.findings) WITH ORDINALITY AS e(f, ord)
$$;
SELECT pg_temp.rules('DROP TABLE a, s.b');
SELECT pg_temp.rules('DROP VIEW v; DROP MATERIALIZED VIEW mv');
SELECT pg_temp.rules('DROP SCHEMA s CASCADE');
SELECT pg_temp.rules('DROP TYPE ty; DROP DOMAIN d');
SELECT pg_temp.rules('DROP FUNCTION f(int); DROP PROCEDURE p()');
SELECT pg_temp.rules('DROP SEQUENCE sq; DROP INDEX i; DROP TRIGGER tr ON t1; DROP EXTENSION e');
SELECT pg_temp.rules('DROP POLICY p ON t1');
SELECT pg_temp.rules('ALTER TABLE t1 DROP CONSTRAINT c, ALTER COLUMN id DROP DEFAULT');
SELECT pg_temp.rules('ALTER TABLE t1 ALTER COLUMN id TYPE text');
SELECT pg_temp.rules('ALTER TABLE t1 RENAME TO t2; ALTER TABLE t1 RENAME COLUMN id TO key; ALTER SCHEMA s RENAME TO s2');
SELECT pg_temp.rules('ALTER TABLE t1 SET SCHEMA s; ALTER TYPE ty SET SCHEMA s');
SELECT pg_temp.rules('TRUNCATE t1; DELETE FROM t1 WHERE id = 1');
SELECT pg_temp.rules('DROP OWNED BY someone; DROP DATABASE db; DROP ROLE r; DROP TABLESPACE ts');
SELECT pg_temp.rules('ALTER TABLE t1 DISABLE TRIGGER ALL; ALTER TABLE t1 DISABLE RULE r; ALTER TABLE t1 DISABLE ROW LEVEL SECURITY');
SELECT pg_temp.rules('ALTER TABLE p DETACH PARTITION c; ALTER EVENT TRIGGER et DISABLE');
SELECT pg_temp.rules('ALTER DOMAIN d DROP CONSTRAINT c; ALTER DOMAIN d DROP NOT NULL; ALTER DOMAIN d DROP DEFAULT');
SELECT pg_temp.rules('ALTER TYPE e RENAME VALUE ''a'' TO ''b''');
SELECT pg_temp.rules('WITH d AS (DELETE FROM t1 RETURNING *) SELECT count(*) FROM d');
-- near misses: not destructive
SELECT pg_temp.rules('ALTER INDEX i RENAME TO j; ALTER TABLE t1 RENAME CONSTRAINT c TO d');
SELECT pg_temp.rules('CREATE TABLE n (a varchar(10)); ALTER TABLE t1 ALTER COLUMN id SET DEFAULT 1; ALTER TABLE t1 ENABLE ALWAYS TRIGGER tr');
-- binary-coercible widening of an existing column is not destructive
CREATE TABLE widen (s varchar(10), n numeric(10,2));
SELECT pg_temp.rules('ALTER TABLE widen ALTER COLUMN s TYPE varchar(20)');
SELECT pg_temp.rules('ALTER TABLE widen ALTER COLUMN s TYPE text');
SELECT pg_temp.rules('ALTER TABLE widen ALTER COLUMN s TYPE varchar(5)');
SELECT pg_temp.rules('ALTER TABLE widen ALTER COLUMN n TYPE numeric(12,1)');
SELECT pg_temp.rules('ALTER TABLE widen ALTER COLUMN s TYPE text USING upper(s)');

-- a declared kind lower than the detected one is refused; higher is kept
SELECT migrator.register('11', 'UPDATE t1 SET id = id', kind => 'additive');
\echo :LAST_ERROR_SQLSTATE
SELECT kind FROM migrator.register('11', 'CREATE TABLE t11 ()', kind => 'staged');
SELECT migrator.register('12', 'CREATE TABLE t12 ()', kind => 'destructive');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('12', 'CREATE TABLE t12 ()', kind => 'risky');
\echo :LAST_ERROR_SQLSTATE

-- invalid SQL is refused with the parser's error and its position in the script
SELECT migrator.register('13', 'CREATE TABLE ok1 (a int);
CREATE TABEL oops (a int)');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('13', 'CREATE TABLE ok (a int)', down => 'DROP TABLE ok;;; DROP');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('13', 'CREATE TABLE ok (a int)', verify => 'SELEC 1');
\echo :LAST_ERROR_SQLSTATE

-- statements a migration cannot hold, or that need transactional => false
SELECT migrator.register('14', 'BEGIN; CREATE TABLE t14 (); COMMIT;');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('14', 'COPY t1 FROM STDIN');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('14', 'CREATE INDEX CONCURRENTLY i14 ON t1 (id)');
\echo :LAST_ERROR_SQLSTATE
SELECT version, transactional FROM migrator.register('14', 'CREATE INDEX CONCURRENTLY i14 ON t1 (id)',
                                                     down => 'DROP INDEX CONCURRENTLY i14', transactional => false);

-- versions: non-empty, no control characters; NULL arguments are errors
SELECT migrator.register('', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('   ', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register(E'1\n2', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register(NULL, 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('15', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('15', 'SELECT 1', transactional => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrator.register('v 1.0 "quoted" ''x'' ünï', 'SELECT 1');

-- nothing above left a half-registered row
SELECT version, kind, state FROM migrator.status();

-- refusals are recorded as events that survive the refusing transaction's
-- rollback (written by a background worker)
SELECT version, action, migration_type, outcome, rule, detail
  FROM migrator.events WHERE action = 'block' ORDER BY id;
