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
-- drop_index_blocking (drop_index is destructive either way)
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
-- the rule table
SELECT severity, kind, count(*) FROM migrator.rules() GROUP BY 1, 2 ORDER BY 1, 2;
SELECT rule, severity, rewrites FROM migrator.rules() WHERE kind = 'additive' ORDER BY rule;
-- no function of migrator is executable by PUBLIC
SELECT p.oid::regprocedure FROM pg_proc p
 WHERE p.pronamespace = 'migrator'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE');
