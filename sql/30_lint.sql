-- migrator.lint(): one finding per rule and statement.  Each hazard rule
-- has a case that fires and a near miss that does not.
CREATE DATABASE migrator_lint;
\c migrator_lint
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
-- The tables here are empty: lint them as if they were large (sizes are
-- tested in 35_lint_hazards).
SET migrator.lint_table_sizes = off;

CREATE TABLE ref (id int PRIMARY KEY);
CREATE TABLE big (id int PRIMARY KEY, v int, s varchar(10), t text);
CREATE INDEX big_v_idx ON big (v);
CREATE UNIQUE INDEX big_v_key ON big (v);
-- a validated check that proves t is not null
ALTER TABLE big ADD CONSTRAINT t_nn CHECK (t IS NOT NULL);

-- rule@statement, in order
CREATE FUNCTION pg_temp.l(sql text) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(rule || '@' || statement, ' ' ORDER BY statement, location, rule), '-')
    FROM migrator.lint(sql)
$$;

-- every column of a finding
SELECT * FROM migrator.lint('CREATE TABLE n (a int);
CREATE INDEX ON big (v)');

-- a safe migration draws nothing
SELECT pg_temp.l('CREATE TABLE n (a int PRIMARY KEY, b int REFERENCES ref); CREATE INDEX ON n (b); ALTER TABLE big ADD COLUMN z int DEFAULT 0');

-- create_index_blocking
SELECT pg_temp.l('CREATE INDEX ON big (v)');
SELECT pg_temp.l('CREATE INDEX CONCURRENTLY ON big (v)');
SELECT pg_temp.l('CREATE TABLE n (a int); CREATE INDEX ON n (a)');
SELECT pg_temp.l('CREATE TABLE IF NOT EXISTS big (id int); CREATE INDEX ON big (v)');
SELECT pg_temp.l('CREATE TABLE IF NOT EXISTS n (a int); CREATE INDEX ON n (a)');
-- drop_index_blocking (drop_index is destructive either way, unless the
-- index is new: then the guard lets it through, and lint agrees)
SELECT pg_temp.l('DROP INDEX big_v_idx');
SELECT pg_temp.l('DROP INDEX CONCURRENTLY big_v_idx');
SELECT pg_temp.l('CREATE TABLE n (a int); CREATE INDEX n_a ON n (a); DROP INDEX n_a');
-- add_foreign_key_validating
SELECT pg_temp.l('ALTER TABLE big ADD FOREIGN KEY (v) REFERENCES ref');
SELECT pg_temp.l('ALTER TABLE big ADD COLUMN r int REFERENCES ref');
SELECT pg_temp.l('ALTER TABLE big ADD FOREIGN KEY (v) REFERENCES ref NOT VALID');
-- add_check_validating
SELECT pg_temp.l('ALTER TABLE big ADD CHECK (v > 0)');
SELECT pg_temp.l('ALTER TABLE big ADD CONSTRAINT v_pos CHECK (v > 0) NOT VALID');
-- set_not_null_scan: fires without a proof; no scan after a validated
-- CHECK (col IS NOT NULL), in the catalog or earlier in the migration
SELECT pg_temp.l('ALTER TABLE big ALTER COLUMN v SET NOT NULL');
SELECT pg_temp.l('ALTER TABLE big ALTER COLUMN t SET NOT NULL');
SELECT pg_temp.l('ALTER TABLE big ADD CONSTRAINT v_nn CHECK (v IS NOT NULL) NOT VALID;
                  ALTER TABLE big VALIDATE CONSTRAINT v_nn;
                  ALTER TABLE big ALTER COLUMN v SET NOT NULL');
SELECT pg_temp.l('ALTER TABLE big ADD CONSTRAINT v_nn CHECK (v IS NOT NULL) NOT VALID;
                  ALTER TABLE big ALTER COLUMN v SET NOT NULL');
-- add_unique_blocking
SELECT pg_temp.l('ALTER TABLE big ADD UNIQUE (v)');
SELECT pg_temp.l('ALTER TABLE ref ADD COLUMN k int PRIMARY KEY');
SELECT pg_temp.l('ALTER TABLE big ADD CONSTRAINT big_v_uq UNIQUE USING INDEX big_v_key');
-- add_column_rewrite
SELECT pg_temp.l('ALTER TABLE big ADD COLUMN u uuid DEFAULT gen_random_uuid()');
SELECT pg_temp.l('ALTER TABLE big ADD COLUMN n bigserial');
SELECT pg_temp.l('ALTER TABLE big ADD COLUMN g int GENERATED ALWAYS AS (v * 2) STORED');
SELECT pg_temp.l('ALTER TABLE big ADD COLUMN i int GENERATED ALWAYS AS IDENTITY');
SELECT pg_temp.l('ALTER TABLE big ADD COLUMN c timestamptz DEFAULT now(), ADD COLUMN d int DEFAULT 1 + 1');
SELECT pg_temp.l('CREATE TABLE n (a int); ALTER TABLE n ADD COLUMN u uuid DEFAULT gen_random_uuid()');
-- alter_column_type_rewrite (and the destructive alter_column_type)
SELECT pg_temp.l('ALTER TABLE big ALTER COLUMN v TYPE bigint');
SELECT pg_temp.l('ALTER TABLE big ALTER COLUMN s TYPE text');
-- vacuum_full, cluster, reindex_blocking
SELECT pg_temp.l('VACUUM FULL big');
SELECT pg_temp.l('VACUUM big');
SELECT pg_temp.l('CLUSTER big USING big_pkey');
SELECT pg_temp.l('CREATE TABLE n (a int PRIMARY KEY); CLUSTER n USING n_pkey');
SELECT pg_temp.l('REINDEX TABLE big');
SELECT pg_temp.l('REINDEX TABLE CONCURRENTLY big');
-- set_logged, set_tablespace
SELECT pg_temp.l('ALTER TABLE big SET UNLOGGED');
SELECT pg_temp.l('CREATE TABLE n (a int); ALTER TABLE n SET LOGGED');
SELECT pg_temp.l('ALTER TABLE big SET TABLESPACE pg_default');
SELECT pg_temp.l('CREATE TABLE n (a int); ALTER TABLE n SET TABLESPACE pg_default');
-- whole_table_write
SELECT pg_temp.l('UPDATE big SET v = 1');
SELECT pg_temp.l('DELETE FROM big');
SELECT pg_temp.l('UPDATE big SET v = 1 WHERE id BETWEEN 1 AND 1000');
SELECT pg_temp.l('CREATE TABLE n (a int); UPDATE n SET a = 1');
-- timeout_disabled
SELECT pg_temp.l('SET lock_timeout = 0; SET statement_timeout TO ''0''; SET LOCAL lock_timeout = ''0s''');
SELECT pg_temp.l('SET lock_timeout = ''5s''; SET statement_timeout = 0.5; SET work_mem = 0');
-- non_transactional
SELECT pg_temp.l('CREATE INDEX CONCURRENTLY ON big (s)');
SELECT pg_temp.l('VACUUM (ANALYZE) big');
-- destructive rules are errors, staged ones info
SELECT rule, severity FROM migrator.lint('DROP TABLE ref CASCADE; UPDATE big SET v = 0 WHERE v IS NULL');
-- invalid SQL is the parser's error
SELECT * FROM migrator.lint('CREATE TABEL x ()');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM migrator.lint(NULL);
\echo :LAST_ERROR_SQLSTATE

-- register() stores the lint result, status() counts it per severity
SELECT version, kind, jsonb_path_query_array(findings, '$[*] ? (@.severity == "warning").rule') AS warnings
  FROM migrator.register('1', 'CREATE INDEX ON big (s); UPDATE big SET s = t WHERE id < 10');
SELECT version, kind, errors, warnings, infos, findings->0->>'message' AS first
  FROM migrator.status();
-- What a statement destroys is judged as the guard judges it (analyze.c,
-- newness.c; test/t/050_lint_guard.pl compares the two): nothing, when
-- every target was created earlier in the same transaction of the script
-- or is temporary, and so is everything the statement reaches from there.
CREATE SEQUENCE old_seq;
CREATE VIEW old_v AS SELECT id FROM big;
CREATE TYPE pg_temp.tc AS (a int);
CREATE TABLE op (a int) PARTITION BY RANGE (a);
CREATE TABLE op1 PARTITION OF op FOR VALUES FROM (0) TO (10);
CREATE FUNCTION tf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER audit AFTER INSERT ON op1 FOR EACH ROW EXECUTE FUNCTION tf();
SELECT pg_temp.l('CREATE TABLE n (a int); DROP TABLE n');
SELECT pg_temp.l('CREATE TABLE n (a int, b int); ALTER TABLE n DROP COLUMN a; ALTER TABLE n RENAME TO n2');
SELECT pg_temp.l('CREATE TABLE p (a int) PARTITION BY RANGE (a); CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10); TRUNCATE p; DROP TABLE p');
SELECT pg_temp.l('CREATE TEMP TABLE tt (a int); DROP TABLE tt; DROP TABLE pg_temp.other');
SELECT pg_temp.l('CREATE TYPE e AS ENUM (''a''); CREATE FUNCTION f() RETURNS int LANGUAGE sql AS ''SELECT 1''; DROP TYPE e; DROP FUNCTION f()');
SELECT pg_temp.l('CREATE TRIGGER t2 AFTER INSERT ON big FOR EACH ROW EXECUTE FUNCTION tf(); ALTER TABLE big DISABLE TRIGGER t2');
-- ... but not when it reaches an old table: a partition attached, a child
-- inheriting, a sequence owned, a table referencing by a new foreign key
SELECT pg_temp.l('CREATE TABLE p (id int, v int, s varchar(10), t text) PARTITION BY RANGE (id); ALTER TABLE p ATTACH PARTITION big FOR VALUES FROM (0) TO (10); TRUNCATE p');
SELECT pg_temp.l('CREATE TABLE par (id int); ALTER TABLE big INHERIT par; TRUNCATE par');
SELECT pg_temp.l('CREATE TABLE n (id int); ALTER SEQUENCE old_seq OWNED BY n.id; DROP TABLE n');
SELECT pg_temp.l('CREATE TABLE nr (id int PRIMARY KEY); ALTER TABLE ref ADD FOREIGN KEY (id) REFERENCES nr NOT VALID; TRUNCATE nr CASCADE');
-- ... an old trigger a partition has, adopted by CREATE OR REPLACE TRIGGER
SELECT pg_temp.l('CREATE OR REPLACE TRIGGER audit AFTER INSERT ON op FOR EACH ROW EXECUTE FUNCTION tf(); ALTER TABLE op DISABLE TRIGGER audit');
-- ... an old view redefined on the new table goes with its CASCADE
SELECT rule, message FROM migrator.lint('CREATE TABLE f (id int); CREATE OR REPLACE VIEW old_v AS SELECT id FROM f; DROP TABLE f CASCADE') WHERE rule <> 'create_index_blocking';
-- ... and an old column's default, replaced by one that calls a new
-- function, goes with the function's CASCADE
CREATE TABLE d (v int DEFAULT 1);
SELECT rule, message FROM migrator.lint('CREATE FUNCTION nd() RETURNS int LANGUAGE sql AS ''SELECT 2''; ALTER TABLE d ALTER COLUMN v SET DEFAULT nd(); DROP FUNCTION nd() CASCADE');
-- the guard reports SET DEFAULT NULL once, as lint does (warn mode shows it)
SET migrator.guard = warn;
ALTER TABLE d ALTER COLUMN v SET DEFAULT NULL;
RESET migrator.guard;
-- ... nor in a later transaction: after COMMIT, or when a statement needs
-- autocommit (the migration runs one statement per transaction)
SELECT pg_temp.l('CREATE TABLE n (a int); COMMIT; DROP TABLE n');
SELECT pg_temp.l('CREATE TABLE n (a int); CREATE INDEX CONCURRENTLY ON big (t); DROP TABLE n');
-- a permanent table made from a query with a column of a temporary type
SELECT pg_temp.l('CREATE TABLE c AS SELECT ROW(1)::pg_temp.tc AS x; SELECT ROW(1)::tc AS x INTO c2; CREATE TABLE c3 AS SELECT 1 AS x');
-- migrator's own objects
SELECT pg_temp.l('ALTER TABLE migrator.events ADD COLUMN x int');
-- register() judges the same way: creating and dropping a scratch table is
-- additive, unless the migration is not transactional
SELECT version, kind FROM migrator.register('2', 'CREATE TABLE scratch (a int); DROP TABLE scratch');
SELECT version, kind FROM migrator.register('4', 'CREATE TABLE scratch4 (a int); DROP TABLE scratch4',
	down => '-- nothing to undo', plan => 'scratch table', transactional => false);
SELECT version, kind FROM migrator.register('5', 'CREATE TABLE scratch5 (a int); DROP TABLE scratch5',
	transactional => false);
\echo :LAST_ERROR_SQLSTATE
-- ... and the guard lets both through: the scratch table is new in the
-- transaction of migration 2; deploy() runs migration 4 one statement per
-- transaction, and its declared finding covers the DROP
SET client_min_messages = warning;
CALL migrator.deploy();
RESET client_min_messages;
SELECT version, state FROM migrator.status() ORDER BY version;
SELECT to_regclass('scratch') AS scratch, to_regclass('scratch4') AS scratch4;

-- the rule table
SELECT severity, kind, count(*) FROM migrator.rules() GROUP BY 1, 2 ORDER BY 1, 2;
SELECT rule, severity, rewrites FROM migrator.rules() WHERE kind = 'additive' ORDER BY rule;
-- no function of migrator is executable by PUBLIC
SELECT p.oid::regprocedure FROM pg_proc p
 WHERE p.pronamespace = 'migrator'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE');
