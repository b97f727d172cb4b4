-- Lint, second round: hazards judged with the catalog's sizes, and the
-- rules squawk and strong_migrations have that a DBA wants
-- (docs/lint-comparison.md).  Each rule has a case that fires and a near
-- miss that does not.
CREATE DATABASE migrator_lint_hazards;
\c migrator_lint_hazards
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.l(sql text) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(rule || '@' || statement || ':' || severity, ' '
                             ORDER BY statement, location, rule), '-')
    FROM migrator.lint(sql)
$$;

CREATE TABLE empty (id int PRIMARY KEY, v int, s varchar(10));
CREATE TABLE tiny (id int PRIMARY KEY, v int, s varchar(10));
INSERT INTO tiny SELECT i, i, 'x' FROM generate_series(1, 10) i;
CREATE TABLE large (id int PRIMARY KEY, v int, s varchar(10), pad text);
INSERT INTO large SELECT i, i, 'x', repeat('p', 200) FROM generate_series(1, 20000) i;
CREATE TABLE parted (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100000);
INSERT INTO parted SELECT i, i FROM generate_series(1, 20000) i;
CREATE TABLE parent (id int PRIMARY KEY);
CREATE MATERIALIZED VIEW mv AS SELECT id FROM large;
CREATE DOMAIN pos AS int;
CREATE TABLE uses_pos (p pos);
INSERT INTO uses_pos SELECT 1 FROM generate_series(1, 20000);
ANALYZE tiny, large, parted, mv, uses_pos;

-- Severity from the sizes: large tables warn, small and empty ones are
-- "info" with the size in the message.
SELECT pg_temp.l('CREATE INDEX ON large (v)');
SELECT pg_temp.l('CREATE INDEX ON tiny (v)');
SELECT pg_temp.l('CREATE INDEX ON empty (v)');
SELECT message FROM migrator.lint('CREATE INDEX ON tiny (v)');
SELECT pg_temp.l('ALTER TABLE tiny ADD CHECK (v > 0)');
SELECT pg_temp.l('ALTER TABLE large ADD CHECK (v > 0)');
SELECT pg_temp.l('ALTER TABLE tiny ALTER COLUMN v TYPE bigint');
SELECT pg_temp.l('ALTER TABLE large ALTER COLUMN v TYPE bigint');
-- a partitioned table counts with its partitions; ON ONLY builds nothing
SELECT pg_temp.l('CREATE INDEX ON parted (v)');
SELECT pg_temp.l('CREATE INDEX ON ONLY parted (v)');
-- the thresholds are settings
SET migrator.lint_small_table_size = '64MB';
SET migrator.lint_small_table_rows = 100000;
SELECT pg_temp.l('CREATE INDEX ON large (v)');
RESET migrator.lint_small_table_size;
RESET migrator.lint_small_table_rows;
SET migrator.lint_table_sizes = off;
SELECT pg_temp.l('CREATE INDEX ON empty (v)');
RESET migrator.lint_table_sizes;

-- add_column_required: fails on a table with rows
SELECT pg_temp.l('ALTER TABLE tiny ADD COLUMN r int NOT NULL');
SELECT pg_temp.l('ALTER TABLE empty ADD COLUMN r int NOT NULL');
SELECT pg_temp.l('ALTER TABLE tiny ADD COLUMN r int NOT NULL DEFAULT 0');
SELECT pg_temp.l('ALTER TABLE tiny ADD COLUMN r int GENERATED ALWAYS AS IDENTITY');
SELECT pg_temp.l('ALTER TABLE tiny ADD COLUMN r int');

-- foreign_key_unindexed
SELECT pg_temp.l('ALTER TABLE large ADD FOREIGN KEY (v) REFERENCES parent NOT VALID');
SELECT pg_temp.l('CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent)');
SELECT pg_temp.l('CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent);
                  CREATE INDEX ON child (parent_id)');
SELECT pg_temp.l('CREATE TABLE child (parent_id int REFERENCES parent, k int, PRIMARY KEY (parent_id, k))');
SELECT pg_temp.l('CREATE TABLE child (id int PRIMARY KEY REFERENCES parent)');
CREATE INDEX large_v ON large (v);
SELECT pg_temp.l('ALTER TABLE large ADD FOREIGN KEY (v) REFERENCES parent NOT VALID');

-- domain_constraint_scan
SELECT pg_temp.l('ALTER DOMAIN pos ADD CONSTRAINT pos_check CHECK (VALUE > 0)');
SELECT pg_temp.l('ALTER DOMAIN pos SET NOT NULL');
SELECT pg_temp.l('ALTER DOMAIN pos ADD CONSTRAINT pos_check CHECK (VALUE > 0) NOT VALID');

-- lock_table
SELECT pg_temp.l('LOCK TABLE large');
SELECT pg_temp.l('LOCK TABLE large IN SHARE MODE');
SELECT pg_temp.l('LOCK TABLE large IN ACCESS SHARE MODE');

-- refresh_blocking
SELECT pg_temp.l('REFRESH MATERIALIZED VIEW mv');
SELECT pg_temp.l('REFRESH MATERIALIZED VIEW CONCURRENTLY mv');

-- whole_table_write: also a WHERE that is always true
SELECT pg_temp.l('UPDATE large SET v = 0 WHERE true');
SELECT pg_temp.l('DELETE FROM large WHERE 1 = 1');
SELECT pg_temp.l('UPDATE large SET v = 0 WHERE v = v OR id > 5');
SELECT pg_temp.l('UPDATE large SET v = 0 WHERE id < 100');

-- backfill_holds_lock: a backfill after an ALTER of the same table
SELECT pg_temp.l('ALTER TABLE large ADD COLUMN w int; UPDATE large SET w = v WHERE id < 100');
SELECT pg_temp.l('ALTER TABLE large ADD COLUMN w int; UPDATE tiny SET v = 1 WHERE id < 5');

-- identifier_too_long (the parser truncates with a NOTICE; the lint says it loudly)
SET client_min_messages = warning;
SELECT pg_temp.l('CREATE TABLE a_table_name_that_goes_on_and_on_well_past_sixty_three_bytes_of_length (id int)');
SELECT pg_temp.l('CREATE TABLE "a quoted name that goes on and on, well past sixty-three bytes of it" (id int)');
SELECT pg_temp.l('CREATE TABLE abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc (id int)');

RESET client_min_messages;
-- Every rule with its severity.
SELECT rule, kind, severity FROM migrator.rules() ORDER BY kind, rule;
