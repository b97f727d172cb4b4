-- Lint sizes count a table's TOAST table (a review of 0.3 found the main
-- fork only).  A table of 15 rows whose values live in TOAST (1.4 MB, over
-- the 1MB default of migrator.lint_small_table_size) was called "small
-- here: 8 kB", and its rewrites were lowered to info, though a rewrite
-- copies every TOAST value under the ACCESS EXCLUSIVE lock.
CREATE DATABASE review_lint_sizes;
\c review_lint_sizes
CREATE EXTENSION migrator;
CREATE TABLE docs (id int, body text);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
INSERT INTO docs
SELECT g, (SELECT string_agg(md5(g::text || ':' || i::text), '') FROM generate_series(1, 3000) i)
  FROM generate_series(1, 15) g;
ANALYZE docs;
SELECT pg_relation_size('docs') < 65536 AS main_fork_small,
       pg_total_relation_size('docs') > 1024 * 1024 AS table_large;
SELECT rule, severity FROM migrator.lint('ALTER TABLE docs ALTER COLUMN id TYPE bigint')
 WHERE rule = 'alter_column_type_rewrite';
SELECT rule, severity FROM migrator.lint('VACUUM FULL docs') WHERE rule = 'vacuum_full';
SELECT rule, severity FROM migrator.lint('ALTER TABLE docs SET TABLESPACE pg_default')
 WHERE rule = 'set_tablespace';
\c postgres
