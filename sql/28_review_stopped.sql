-- Review of the guard (0.3): data and defaults stopped without DROP, by
-- routes next to those 0.3 closed.  Each statement runs on an old object
-- with rows and must be refused; the last query shows nothing changed.
CREATE DATABASE review_stopped;
\c review_stopped
CREATE EXTENSION migrator;
CREATE SCHEMA app;
CREATE SEQUENCE app.order_seq;
CREATE TABLE app.orders (id bigint DEFAULT nextval('app.order_seq') PRIMARY KEY, amount int);
INSERT INTO app.orders (amount) SELECT g FROM generate_series(1, 5) g;
CREATE TABLE app.customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
INSERT INTO app.customers (name) VALUES ('a'), ('b'), ('c');
CREATE TABLE app.events (id serial PRIMARY KEY, at timestamptz DEFAULT now(), kind text);
CREATE TABLE app.events_archive () INHERITS (app.events);
INSERT INTO app.events_archive (kind) VALUES ('old');
CREATE DOMAIN app.posint AS int CHECK (VALUE > 0) DEFAULT 1;
CREATE TABLE app.readings (id int, v app.posint);
GRANT SELECT ON app.orders TO PUBLIC;
SET client_min_messages = error;
CREATE PUBLICATION pub FOR TABLE app.customers;
CREATE SUBSCRIPTION sub CONNECTION 'dbname=review_stopped_nowhere' PUBLICATION pub
    WITH (connect = false, slot_name = NONE, enabled = false);
RESET client_min_messages;
\set VERBOSITY terse

-- A sequence that drew 5 values turned round: the next rows reuse keys, as
-- after ALTER SEQUENCE ... RESTART (rule restart_sequence).
ALTER SEQUENCE app.order_seq INCREMENT BY -1 MINVALUE 1;
ALTER SEQUENCE app.order_seq MAXVALUE 5 CYCLE;
-- The same on an identity column.
ALTER TABLE app.customers ALTER COLUMN id SET INCREMENT BY -1 SET MINVALUE 1;
ALTER TABLE app.customers ALTER COLUMN id SET MAXVALUE 3 SET CYCLE;
-- SET DEFAULT NULL on an inheritance child with rows removes the default
-- it inherited; the exemption exists for pg_dump's line for a child that
-- dropped it, which a restore sends before the child has rows.
ALTER TABLE app.events_archive ALTER COLUMN at SET DEFAULT NULL;
-- A domain default that evaluates to NULL (closed for columns in 0.3).
ALTER DOMAIN app.posint SET DEFAULT NULL::int + 0;
-- REPLICA IDENTITY NOTHING of a published table: its UPDATEs and DELETEs
-- fail (more routes in 28_review_readers).
ALTER TABLE app.customers REPLICA IDENTITY NOTHING;
-- ENABLE ROW LEVEL SECURITY of a table with rows and no policy: readers
-- other than the owner see none.
ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
-- A rule that empties the table at the next INSERT (only DO INSTEAD was judged).
CREATE RULE wipe AS ON INSERT TO app.events DO ALSO DELETE FROM app.events;
-- The subscriber's side of ALTER PUBLICATION ... DROP (rule unpublish):
-- judged on the statement, as unpublish is (this subscription is disabled).
ALTER SUBSCRIPTION sub DISABLE;
ALTER SUBSCRIPTION sub SET PUBLICATION other WITH (refresh = false);

-- Nothing changed.
SELECT s.seqrelid::regclass, s.seqincrement, s.seqmax = 9223372036854775807 OR s.seqmax = 2147483647 AS max_default, s.seqcycle
  FROM pg_sequence s WHERE s.seqrelid IN ('app.order_seq'::regclass, pg_get_serial_sequence('app.customers', 'id')::regclass)
 ORDER BY 1;
SELECT pg_get_expr(adbin, adrelid) AS archive_default FROM pg_attrdef
 WHERE adrelid = 'app.events_archive'::regclass AND adnum = 2;
SELECT pg_get_expr(typdefaultbin, 0) AS domain_default FROM pg_type WHERE typname = 'posint';
SELECT relname, relreplident, relrowsecurity FROM pg_class WHERE oid IN ('app.customers'::regclass, 'app.orders'::regclass) ORDER BY 1;
SELECT count(*) AS rules FROM pg_rewrite WHERE ev_class = 'app.events'::regclass;
SELECT subpublications FROM pg_subscription
 WHERE subname = 'sub' AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database());
-- cleanup: a database with a subscription cannot be dropped
SET migrator.guard = off;
DROP SUBSCRIPTION sub;
\c postgres
