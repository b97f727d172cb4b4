-- The guard judges what an object is, not the command's name for it:
-- PostgreSQL lets one kind's command act on another (ALTER INDEX ...
-- RENAME renames a table or a view, ALTER TABLE renames an index or a
-- view, ALTER VIEW and ALTER SEQUENCE act on tables).
CREATE DATABASE migrator_guard_names;
\c migrator_guard_names
CREATE EXTENSION migrator;
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t VALUES (1, 'a');
CREATE INDEX t_v ON t (v);
CREATE VIEW v AS SELECT id FROM t;
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
CREATE SEQUENCE s;
CREATE TABLE parted (id int) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
\set VERBOSITY terse

-- Attack: ALTER INDEX ... RENAME of a table, a view, a materialized view,
-- a sequence, a partitioned table.
ALTER INDEX t RENAME TO t_renamed;
ALTER INDEX v RENAME TO v_renamed;
ALTER INDEX mv RENAME TO mv_renamed;
ALTER INDEX s RENAME TO s_renamed;
ALTER INDEX parted RENAME TO parted_renamed;
ALTER INDEX IF EXISTS t RENAME TO t_renamed;
-- Attack: ALTER VIEW, ALTER SEQUENCE and ALTER MATERIALIZED VIEW on a table.
ALTER VIEW t RENAME TO t_renamed;
ALTER SEQUENCE t RENAME TO t_renamed;
ALTER VIEW t ALTER COLUMN v DROP DEFAULT;
ALTER VIEW t SET SCHEMA public;
ALTER FOREIGN TABLE t RENAME TO t_renamed;
ALTER FOREIGN TABLE t DROP COLUMN v;
SELECT relname FROM pg_class WHERE relname LIKE '%renamed' ORDER BY 1;

-- Not destructive: renaming an index, whatever the command calls it.
ALTER TABLE t_v RENAME TO t_v2;
ALTER INDEX t_v2 RENAME TO t_v;
ALTER TABLE t_pkey RENAME TO t_pkey2;
ALTER TABLE t_pkey2 RENAME TO t_pkey;
SELECT relname FROM pg_class WHERE relname IN ('t_v', 't_pkey') ORDER BY 1;

-- lint() and register() judge the same way when the object exists.
SELECT rule, severity FROM migrator.lint('ALTER INDEX t RENAME TO t2') ORDER BY 1;
SELECT rule, severity FROM migrator.lint('ALTER TABLE t_v RENAME TO t_v2') ORDER BY 1;
SELECT kind FROM migrator.register('1', 'ALTER INDEX t RENAME TO t2', 'ALTER TABLE t2 RENAME TO t');
\echo :LAST_ERROR_SQLSTATE
