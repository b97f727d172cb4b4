-- Review of the guard (0.3): permanent objects made to depend on temporary
-- objects through routes the parse-tree walker does not see.  At session
-- end the temporary schema is dropped with CASCADE, without any statement
-- the guard judges, and takes the permanent object with it.  Each of these
-- must be refused as depends_on_temporary (or the dependency must be found
-- in pg_depend after the statement); the second half checks, in a new
-- session, that nothing was lost.
CREATE DATABASE review_temporary;
\c review_temporary
CREATE EXTENSION migrator;
CREATE SCHEMA app;
CREATE DOMAIN app.posint AS int CHECK (VALUE > 0) DEFAULT 1;
CREATE TABLE app.customers (id int PRIMARY KEY, score app.posint, note text DEFAULT 'n/a',
    at timestamptz DEFAULT now());
INSERT INTO app.customers VALUES (1, 5), (2, 7);
CREATE VIEW app.v_customers AS SELECT id, note FROM app.customers;
CREATE VIEW app.v_top AS SELECT id FROM app.v_customers WHERE id < 10;
CREATE TABLE app.secrets (id int, owner name DEFAULT current_user);
ALTER TABLE app.secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON app.secrets USING (owner = current_user);
\set VERBOSITY terse

CREATE TEMP SEQUENCE tseq;
CREATE TEMP TABLE ttab (x int);
CREATE FUNCTION pg_temp.yes() RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION pg_temp.cat(text, text) RETURNS text LANGUAGE sql AS 'SELECT $1 || $2';
CREATE OPERATOR pg_temp.=== (LEFTARG = text, RIGHTARG = text, FUNCTION = pg_temp.cat);
CREATE TYPE pg_temp.tt AS (a int);
CREATE TEXT SEARCH CONFIGURATION pg_temp.cfg (COPY = simple);

-- A column default that names a temporary sequence in a regclass literal
-- (unqualified: pg_temp is searched first for relations).
ALTER TABLE app.customers ALTER COLUMN note SET DEFAULT nextval('tseq')::text;
-- A domain default through the same route: at session end the DOMAIN is
-- dropped, and with it the column app.customers.score and its data.
ALTER DOMAIN app.posint SET DEFAULT nextval('tseq');
-- A default through a temporary operator.
ALTER TABLE app.customers ALTER COLUMN note SET DEFAULT ('a' OPERATOR(pg_temp.===) 'b');
-- A default through a regconfig literal naming a temporary configuration.
ALTER TABLE app.customers ALTER COLUMN note SET DEFAULT to_tsvector('pg_temp.cfg'::regconfig, 'x')::text;
-- An old view replaced by one calling a temporary function (PostgreSQL
-- makes a view temporary only for temporary relations): the view, and the
-- view over it, go at session end.
CREATE OR REPLACE VIEW app.v_customers AS SELECT id, note FROM app.customers WHERE pg_temp.yes();
-- ... or casting to a temporary type.
CREATE OR REPLACE VIEW app.v_top AS SELECT id FROM app.v_customers WHERE id < 10 AND (NULL::pg_temp.tt) IS NULL;
-- An old policy altered to name a temporary table in a regclass literal.
ALTER POLICY own ON app.secrets USING (owner = current_user AND 'ttab'::regclass IS NOT NULL);
-- A SQL-standard function body through a temporary operator.
CREATE FUNCTION app.f_std(t text) RETURNS text LANGUAGE sql RETURN t OPERATOR(pg_temp.===) 'x';

-- A materialized view whose query names a temporary table in a regclass
-- literal (PostgreSQL refuses temporary relations in its FROM list only).
CREATE MATERIALIZED VIEW app.mv_r AS SELECT id, 'ttab'::regclass::oid AS r FROM app.customers;
-- A table made by a query from a column of a temporary collation: the new
-- column takes the collation, and the session's end would drop it.
CREATE COLLATION pg_temp.tc (provider = libc, locale = 'C');
CREATE TEMP TABLE tnotes (note text COLLATE pg_temp.tc);
CREATE TABLE app.ctas_coll AS SELECT note FROM tnotes;
-- ... also when EXPLAIN ANALYZE creates it, which no hook sees as CREATE TABLE AS.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE TABLE app.ctas_explain AS SELECT note FROM tnotes;
-- CREATE INDEX CONCURRENTLY commits inside itself, before the guard could
-- read its pg_depend rows: judged before it runs, on its expressions,
-- predicate, collations and operator classes (an object-identifier literal
-- conservatively, whatever it names).
CREATE FUNCTION pg_temp.imm(text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT lower($1)';
CREATE INDEX CONCURRENTLY customers_imm ON app.customers (pg_temp.imm(note));
CREATE INDEX CONCURRENTLY customers_r ON app.customers (id) WHERE 'ttab'::regclass IS NOT NULL;
CREATE INDEX CONCURRENTLY customers_coll ON app.customers (note COLLATE pg_temp.tc);
-- Not refused: an index of permanent objects only.
CREATE INDEX CONCURRENTLY customers_lower ON app.customers (lower(note));
-- Not refused: the same made temporary, and statements that record no
-- dependency of a permanent object (the guard does not read pg_depend
-- after them).
CREATE TEMP TABLE ctas_tmp AS SELECT note FROM tnotes;
BEGIN;
CREATE TABLE app.plain (id int NOT NULL, v text);
ALTER TABLE app.plain ADD COLUMN w int, DROP COLUMN v;
ALTER TABLE app.plain RENAME COLUMN w TO x;
DROP TABLE app.plain;
COMMIT;

-- A new session: everything above is still there.
\c review_temporary
SELECT attname, pg_get_expr(d.adbin, d.adrelid) AS default
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 'app.customers'::regclass AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum;
SELECT count(score) AS scores FROM app.customers;
SELECT pg_get_expr(typdefaultbin, 0) AS domain_default FROM pg_type WHERE typname = 'posint';
SELECT to_regclass('app.v_customers') AS v_customers, to_regclass('app.v_top') AS v_top;
SELECT polname FROM pg_policy WHERE polrelid = 'app.secrets'::regclass;
SELECT to_regprocedure('app.f_std(text)') AS f_std;
SELECT indexname FROM pg_indexes WHERE schemaname = 'app' AND tablename = 'customers'
 ORDER BY indexname;
SELECT to_regclass('app.mv_r') AS mv_r, to_regclass('app.ctas_coll') AS ctas_coll,
       to_regclass('app.ctas_explain') AS ctas_explain;
\c postgres
