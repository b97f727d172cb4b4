-- The guard: a statement whose targets are new in the transaction is
-- exempt only when everything it reaches is new too.  PostgreSQL carries a
-- statement on a table to its partitions and inheritance children, to the
-- tables that reference it (TRUNCATE CASCADE), to the typed tables of a
-- type, to the sequences it owns and to what depends on a dropped column;
-- a table typed by a temporary type is dropped when the session ends.
-- Each old table below must keep its rows and columns.
CREATE DATABASE migrator_guard_reach;
\c migrator_guard_reach
CREATE EXTENSION migrator;
CREATE ROLE reach_dev LOGIN;
CREATE SCHEMA app AUTHORIZATION reach_dev;
SET ROLE reach_dev;
CREATE TABLE app.old_part (id int, secret text, amount numeric);
CREATE TABLE app.old_child (id int, secret text);
CREATE TABLE app.old_ref (id int PRIMARY KEY);
CREATE TABLE app.old_typed (id int, secret text);
CREATE TABLE app.old_keep (id int, secret text);
CREATE SEQUENCE app.old_seq;
CREATE TABLE app.base (id int, w int);
CREATE VIEW app.old_view AS SELECT id, w FROM app.base;
INSERT INTO app.old_part VALUES (1, 's', 1.5);
INSERT INTO app.old_child VALUES (1, 's');
INSERT INTO app.old_ref VALUES (1);
INSERT INTO app.old_typed VALUES (1, 's');
INSERT INTO app.old_keep VALUES (1, 's');
\set VERBOSITY terse

-- TRUNCATE of a new partitioned table with an old partition attached
BEGIN;
CREATE TABLE app.p (id int, secret text, amount numeric) PARTITION BY RANGE (id);
ALTER TABLE app.p ATTACH PARTITION app.old_part FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
TRUNCATE app.p;
ROLLBACK;
-- ... but a new parent whose partitions are new too is exempt
BEGIN;
CREATE TABLE app.p (id int, secret text, amount numeric) PARTITION BY RANGE (id);
CREATE TABLE app.p1 PARTITION OF app.p FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
TRUNCATE app.p;
ROLLBACK;

-- DROP of the new parent drops the old partition
BEGIN;
CREATE TABLE app.p (id int, secret text, amount numeric) PARTITION BY RANGE (id);
ALTER TABLE app.p ATTACH PARTITION app.old_part FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
DROP TABLE app.p;
ROLLBACK;

-- DROP COLUMN and a lossy ALTER COLUMN TYPE recurse into the old partition
BEGIN;
CREATE TABLE app.p (id int, secret text, amount numeric) PARTITION BY RANGE (id);
ALTER TABLE app.p ATTACH PARTITION app.old_part FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
ALTER TABLE app.p DROP COLUMN secret;
ROLLBACK;
BEGIN;
CREATE TABLE app.p (id int, secret text, amount numeric) PARTITION BY RANGE (id);
ALTER TABLE app.p ATTACH PARTITION app.old_part FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
ALTER TABLE app.p ALTER COLUMN amount TYPE int;
ROLLBACK;

-- inheritance
BEGIN;
CREATE TABLE app.par (id int, secret text);
ALTER TABLE app.old_child INHERIT app.par;
TRUNCATE app.par;
ROLLBACK;

-- TRUNCATE ... CASCADE reaches an old table through a new foreign key
BEGIN;
CREATE TABLE app.newref (id int PRIMARY KEY);
INSERT INTO app.newref VALUES (1);
ALTER TABLE app.old_ref ADD CONSTRAINT old_ref_fk FOREIGN KEY (id) REFERENCES app.newref;
TRUNCATE app.newref CASCADE;
ROLLBACK;

-- an old sequence owned by a new table
BEGIN;
CREATE TABLE app.n (id int);
ALTER SEQUENCE app.old_seq OWNED BY app.n.id;
DROP TABLE app.n;
ROLLBACK;

-- a column of a new table dropped with CASCADE takes an old view along
BEGIN;
CREATE TABLE app.fresh (id int, w int);
CREATE OR REPLACE VIEW app.old_view AS SELECT id, w FROM app.fresh;
ALTER TABLE app.fresh DROP COLUMN w CASCADE;
ROLLBACK;

-- the typed tables of a new composite type
BEGIN;
CREATE TYPE app.newtype AS (id int, secret text);
ALTER TABLE app.old_typed OF app.newtype;
ALTER TYPE app.newtype DROP ATTRIBUTE secret CASCADE;
ROLLBACK;

-- a permanent table typed by a temporary type, or given a column of one,
-- or a column moved to a temporary collation: the end of the session would
-- drop the table or the column, through no statement at all
CREATE TYPE pg_temp.comp AS (id int, secret text);
CREATE COLLATION pg_temp.tc (provider = libc, locale = 'C');
ALTER TABLE app.old_keep OF pg_temp.comp;
ALTER TABLE app.old_keep OF comp;
ALTER TABLE app.old_keep ADD COLUMN extra comp;
ALTER TABLE app.old_keep ALTER COLUMN secret TYPE text COLLATE pg_temp.tc;
CREATE TABLE app.kept OF comp;
CREATE TABLE app.kept2 (id int, c pg_temp.comp);
-- ... also as an element of CREATE SCHEMA, through LIKE a temporary table
-- with such a column, through a permanent composite type, or through a
-- domain whose default or check calls a temporary function
CREATE TEMP TABLE ttl (id int, c comp);
CREATE FUNCTION pg_temp.one() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE SCHEMA s2 CREATE TABLE x2 (id int, c pg_temp.comp);
CREATE TABLE app.via_like (LIKE ttl);
CREATE TYPE app.nc AS (id int, b pg_temp.comp);
CREATE DOMAIN app.d_new AS int DEFAULT pg_temp.one();
CREATE DOMAIN app.d_chk AS int CHECK (VALUE > pg_temp.one());
CREATE DOMAIN app.d_old AS int;
ALTER DOMAIN app.d_old SET DEFAULT pg_temp.one();
ALTER DOMAIN app.d_old ADD CONSTRAINT c CHECK (VALUE > pg_temp.one());
-- ... or through the columns a query produces (looked at once created)
CREATE TABLE app.via_ctas AS SELECT 1 AS id, ROW(1, 'x')::pg_temp.comp AS c;
SELECT 1 AS id, ROW(2, 'y')::comp AS c INTO app.via_into;
CREATE MATERIALIZED VIEW app.via_mv AS SELECT ROW(1, 'x')::comp AS c;
SELECT to_regclass('app.via_ctas') AS via_ctas, to_regclass('app.via_into') AS via_into,
       to_regclass('app.via_mv') AS via_mv;
CREATE TEMP TABLE ctas_tmp AS SELECT ROW(1, 'x')::comp AS c;
BEGIN;
CREATE TABLE app.ctas_ok AS SELECT 1 AS id;
DROP TABLE app.ctas_ok;
COMMIT;
-- temporary objects may depend on temporary types and functions
CREATE TEMP TABLE tt OF comp;
CREATE TABLE pg_temp.tt2 (c comp);
CREATE TABLE pg_temp.tt3 (LIKE ttl);
CREATE DOMAIN pg_temp.d_tmp AS int DEFAULT pg_temp.one();
BEGIN;
CREATE TABLE app.like_perm (LIKE app.old_keep);
DROP TABLE app.like_perm;
COMMIT;
DISCARD TEMP;

-- Still exempt: what is new all the way down.
BEGIN;
CREATE TABLE app.q (id serial, secret text, amount numeric) PARTITION BY RANGE (id);
CREATE TABLE app.q1 PARTITION OF app.q FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
INSERT INTO app.q (secret) VALUES ('x');
TRUNCATE app.q CASCADE;
ALTER TABLE app.q DROP COLUMN secret;
ALTER TABLE app.q ALTER COLUMN amount TYPE int;
CREATE VIEW app.qv AS SELECT id, amount FROM app.q;
DROP TABLE app.q CASCADE;
CREATE TABLE app.s (id serial PRIMARY KEY, ref int REFERENCES app.old_ref, v int DEFAULT 1 CHECK (v > 0));
CREATE INDEX ON app.s (v);
CREATE POLICY sp ON app.s USING (true);
CREATE RULE sr AS ON DELETE TO app.s DO INSTEAD NOTHING;
CREATE FUNCTION app.sf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER st BEFORE INSERT ON app.s FOR EACH ROW EXECUTE FUNCTION app.sf();
DROP TABLE app.s;
DROP FUNCTION app.sf();
CREATE TABLE app.r (id int, extra int);
CREATE TABLE app.r2 () INHERITS (app.r);
TRUNCATE app.r;
ALTER TABLE app.r DROP COLUMN extra;
DROP TABLE app.r CASCADE;
COMMIT;
-- temporary views and rules, created in earlier transactions
CREATE TEMP TABLE tt6 (id int);
CREATE TEMP VIEW tv6 AS SELECT * FROM tt6;
CREATE RULE r6 AS ON INSERT TO tt6 DO ALSO NOTIFY x;
DROP VIEW tv6;
DROP TABLE tt6;
-- a new table in an existing publication
RESET ROLE;
-- (the server's warning about wal_level is worded differently by 18)
SET client_min_messages = error;
CREATE PUBLICATION reach_pub;
RESET client_min_messages;
BEGIN;
CREATE TABLE app.pt (id int PRIMARY KEY);
ALTER PUBLICATION reach_pub ADD TABLE app.pt;
DROP TABLE app.pt;
COMMIT;
SET ROLE reach_dev;
-- a column added to an old table in this transaction is new
BEGIN;
CREATE TYPE app.t2 AS ENUM ('a');
ALTER TABLE app.old_keep ADD COLUMN c app.t2;
DROP TYPE app.t2 CASCADE;
COMMIT;

-- Statements on old objects that destroy nothing: TRUNCATE of an old table
-- that was never written (a parallel pg_restore truncates each table
-- before COPY), disabling a trigger or rule created in this transaction
-- (pg_restore of a disabled trigger), SET DEFAULT NULL of an inherited
-- column (pg_dump writes it for a child that dropped an inherited default).
CREATE TABLE app.old_empty (id serial, v text);
CREATE TABLE app.old_par (id int, v text DEFAULT 'p');
CREATE TABLE app.old_ch () INHERITS (app.old_par);
CREATE FUNCTION app.tf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER t_old BEFORE INSERT ON app.old_keep FOR EACH ROW EXECUTE FUNCTION app.tf();
TRUNCATE TABLE ONLY app.old_empty;
TRUNCATE app.old_empty, app.old_keep;
TRUNCATE app.old_empty RESTART IDENTITY;
BEGIN;
CREATE TRIGGER t_new BEFORE INSERT ON app.old_keep FOR EACH ROW EXECUTE FUNCTION app.tf();
ALTER TABLE app.old_keep DISABLE TRIGGER t_new;
CREATE RULE r_new AS ON UPDATE TO app.old_keep DO ALSO NOTIFY x;
ALTER TABLE app.old_keep DISABLE RULE r_new;
ALTER TABLE app.old_keep DISABLE TRIGGER t_old;
ROLLBACK;
ALTER TABLE ONLY app.old_ch ALTER COLUMN v SET DEFAULT NULL;
-- ... and the same statements where they do destroy something
ALTER TABLE app.old_par ALTER COLUMN v SET DEFAULT NULL;
ALTER TABLE app.old_par ALTER COLUMN v SET DEFAULT NULL::text COLLATE "C";
CREATE DOMAIN app.d AS int DEFAULT 1;
ALTER DOMAIN app.d SET DEFAULT NULL;
-- a partition's columns are inherited, but its default is its own
CREATE TABLE app.old_parted (a int, b int) PARTITION BY RANGE (a);
CREATE TABLE app.old_p1 PARTITION OF app.old_parted (b DEFAULT 7) FOR VALUES FROM (0) TO (100);
ALTER TABLE app.old_p1 ALTER COLUMN b SET DEFAULT NULL;
-- an old trigger of a partition, adopted by CREATE OR REPLACE TRIGGER on
-- the parent, is not new: disabling the parent's trigger would disable it
CREATE TRIGGER audit AFTER INSERT ON app.old_p1 FOR EACH ROW EXECUTE FUNCTION app.tf();
BEGIN;
CREATE OR REPLACE TRIGGER audit AFTER INSERT ON app.old_parted FOR EACH ROW EXECUTE FUNCTION app.tf();
ALTER TABLE app.old_parted DISABLE TRIGGER audit;
ROLLBACK;
-- TRUNCATE of an empty catalog with an old table: refused at once, and
-- the refusal is recorded (the guard holds no lock on the catalog while
-- the worker that records it connects)
TRUNCATE pg_catalog.pg_db_role_setting, app.old_keep;
-- a column type change without COLLATE resets the column's collation
CREATE TABLE app.old_coll (c text COLLATE "C");
ALTER TABLE app.old_coll ALTER COLUMN c TYPE text;
ALTER TABLE app.old_coll ALTER COLUMN c TYPE text COLLATE "C";

RESET ROLE;
\set VERBOSITY default
SELECT c.oid::regclass AS old_table,
       (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
          FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS columns
  FROM pg_class AS c
 WHERE c.relnamespace = 'app'::regnamespace AND c.relname LIKE 'old\_%' AND c.relkind = 'r'
 ORDER BY 1;
SELECT (SELECT count(*) FROM app.old_part) AS old_part, (SELECT count(*) FROM app.old_child) AS old_child,
       (SELECT count(*) FROM app.old_ref) AS old_ref, (SELECT count(*) FROM app.old_typed) AS old_typed,
       (SELECT count(*) FROM app.old_keep) AS old_keep;
SELECT to_regclass('app.old_seq') AS old_seq, to_regclass('app.old_view') AS old_view;
SELECT rule, count(*) FROM migrator.events WHERE action = 'block' GROUP BY rule ORDER BY rule;
