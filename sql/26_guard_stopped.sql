-- Defaults removed without DROP DEFAULT, and data stopped without DROP:
-- each statement below leaves every object in place and still loses data
-- or breaks its readers, now or when the session ends.
CREATE DATABASE migrator_guard_stopped;
\c migrator_guard_stopped
CREATE EXTENSION migrator;
CREATE TABLE t (id int, v int DEFAULT 1, g int);
INSERT INTO t VALUES (1);
CREATE TABLE u (id int);
INSERT INTO u VALUES (1);
CREATE SEQUENCE seq;
SELECT setval('seq', 100);
CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY, v int);
INSERT INTO ident (v) SELECT 1 FROM generate_series(1, 5);
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
-- (a published table without a key needs an identity: publish_without_identity)
ALTER TABLE t REPLICA IDENTITY FULL;
ALTER TABLE ident REPLICA IDENTITY FULL;
SET client_min_messages = error;
CREATE PUBLICATION pub FOR TABLE t, ident;
RESET client_min_messages;
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_audit BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION audit();
\set VERBOSITY terse

-- Attack: an old column's default pointed at a new function, which then
-- goes with CASCADE and takes the default along.
BEGIN;
CREATE FUNCTION new_default() RETURNS int LANGUAGE sql AS 'SELECT 2';
ALTER TABLE t ALTER COLUMN v SET DEFAULT new_default();
DROP FUNCTION new_default() CASCADE;
ROLLBACK;
-- ... but a default that did not exist before the transaction may go.
BEGIN;
CREATE FUNCTION new_default() RETURNS int LANGUAGE sql AS 'SELECT 2';
ALTER TABLE t ALTER COLUMN g SET DEFAULT new_default();
DROP FUNCTION new_default() CASCADE;
ROLLBACK;

-- Attack: defaults, generated columns, triggers and policies of permanent
-- tables that call a temporary function, and a permanent function whose
-- SQL-standard body reads a temporary table: the end of the session drops
-- them (and the generated column with its data) without a statement.
CREATE FUNCTION pg_temp.tmp_fn() RETURNS int LANGUAGE sql AS 'SELECT 3';
CREATE FUNCTION pg_temp.tmp_imm(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1';
CREATE FUNCTION pg_temp.tmp_trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TEMP TABLE scratch (id int);
ALTER TABLE t ALTER COLUMN v SET DEFAULT pg_temp.tmp_fn();
ALTER TABLE t ADD COLUMN z int DEFAULT pg_temp.tmp_fn();
ALTER TABLE t ADD COLUMN gen int GENERATED ALWAYS AS (pg_temp.tmp_imm(id)) STORED;
CREATE TABLE t2 (id int DEFAULT pg_temp.tmp_fn());
CREATE TRIGGER t_tmp BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION pg_temp.tmp_trig();
CREATE POLICY p_tmp ON t USING (id = pg_temp.tmp_fn());
CREATE FUNCTION count_scratch() RETURNS bigint LANGUAGE sql
    BEGIN ATOMIC SELECT count(*) FROM scratch; END;
-- Temporary objects may depend on temporary objects.
CREATE TEMP TABLE t3 (id int DEFAULT pg_temp.tmp_fn());
CREATE FUNCTION pg_temp.count_scratch() RETURNS bigint LANGUAGE sql
    BEGIN ATOMIC SELECT count(*) FROM scratch; END;

-- Attack: a default that evaluates to NULL.
ALTER TABLE t ALTER COLUMN v SET DEFAULT NULL::int + 0;
ALTER TABLE t ALTER COLUMN v SET DEFAULT CASE WHEN false THEN 1 END;
-- A default that is not NULL, or on a column that had none, is no loss.
ALTER TABLE t ALTER COLUMN v SET DEFAULT 1 + 0;
ALTER TABLE t ALTER COLUMN g SET DEFAULT NULL::int + 0;

-- Attack: REFRESH MATERIALIZED VIEW ... WITH NO DATA: unreadable.
REFRESH MATERIALIZED VIEW mv WITH NO DATA;
-- Attack: a rule that discards or redirects writes.
CREATE RULE t_discard AS ON INSERT TO t DO INSTEAD NOTHING;
CREATE RULE t_redirect AS ON UPDATE TO t DO INSTEAD SELECT 1;
-- ALSO rules add work, they discard nothing.
CREATE RULE t_also AS ON DELETE TO t DO ALSO NOTIFY t_deleted;
-- Attack: SET UNLOGGED: lost on a crash, empty on every standby.
ALTER TABLE u SET UNLOGGED;
-- Attack: subscribers stop receiving a table's changes.
ALTER PUBLICATION pub DROP TABLE t;
ALTER PUBLICATION pub SET TABLE ident;
ALTER PUBLICATION pub SET (publish = 'insert');
-- Adding to a publication stops nothing.
CREATE TABLE t4 (id int PRIMARY KEY);
ALTER PUBLICATION pub ADD TABLE t4;
-- Attack: a sequence or an identity restarted below values in use.
ALTER SEQUENCE seq RESTART;
ALTER SEQUENCE seq RESTART WITH 50;
ALTER TABLE ident ALTER COLUMN id RESTART;
ALTER TABLE ident ALTER COLUMN id RESTART WITH 3;
SELECT last_value FROM seq;
-- Restarting above every value drawn loses nothing.
ALTER SEQUENCE seq RESTART WITH 1000;
ALTER TABLE ident ALTER COLUMN id RESTART WITH 100;
-- Attack: CREATE OR REPLACE TRIGGER neuters an old trigger (what DISABLE
-- TRIGGER, refused, would do).
CREATE OR REPLACE TRIGGER t_audit BEFORE INSERT ON t FOR EACH ROW WHEN (false)
    EXECUTE FUNCTION audit();

-- Everything is as it was.
SELECT attname, pg_get_expr(d.adbin, d.adrelid) AS default
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 't'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum;
SELECT relname, relpersistence, relispopulated FROM pg_class
 WHERE relname IN ('t', 'u', 'mv', 't2') ORDER BY 1;
SELECT rulename FROM pg_rules WHERE tablename = 't' ORDER BY 1;
SELECT tablename FROM pg_publication_tables WHERE pubname = 'pub' ORDER BY 1;
SELECT pubinsert, pubupdate, pubdelete FROM pg_publication WHERE pubname = 'pub';
SELECT nextval(pg_get_serial_sequence('ident', 'id')) > 5 AS above_values_in_use;
SELECT tgname, pg_get_triggerdef(oid) LIKE '%WHEN%' AS neutered FROM pg_trigger
 WHERE tgrelid = 't'::regclass ORDER BY 1;
SELECT proname FROM pg_proc WHERE proname = 'count_scratch' AND NOT pronamespace = pg_my_temp_schema();
