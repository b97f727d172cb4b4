-- Review of the guard (0.3): a publication made to publish UPDATE or
-- DELETE of a table whose replica identity cannot serve them (rule
-- publish_without_identity): none (NOTHING, or DEFAULT without a primary
-- key), a row filter reading columns outside it, a column list without
-- all of it.  From then on every UPDATE and DELETE of the table fails on
-- the publisher.  Judged when the transaction commits: a statement of the
-- same transaction may give the table its identity.  Each route is
-- refused unplanned, with an events row, and passes when a migration
-- declares it; a table with a key, FULL, or a publication of inserts
-- passes.
CREATE DATABASE review_publications;
\c review_publications
CREATE EXTENSION migrator;
CREATE SCHEMA app;
CREATE SCHEMA other;
CREATE TABLE app.orders (id int PRIMARY KEY, amount int);
CREATE TABLE app.log (at timestamptz, msg text);
CREATE TABLE app.log_full (at timestamptz, msg text);
ALTER TABLE app.log_full REPLICA IDENTITY FULL;
CREATE TABLE app.keyed (id int PRIMARY KEY, region text, note text);
CREATE TABLE app.parted (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE app.parted_1 PARTITION OF app.parted FOR VALUES FROM (0) TO (100);
CREATE TABLE other.t (x int);
INSERT INTO app.orders VALUES (1, 10);
INSERT INTO app.log VALUES ('2026-12-01', 'a');
INSERT INTO app.log_full VALUES ('2026-12-01', 'a');
INSERT INTO app.keyed VALUES (1, 'eu', 'n');
INSERT INTO app.parted VALUES (1, 1);
INSERT INTO other.t VALUES (1);
-- (wal_level is not logical here: the server warns at each publication;
-- the guard's warnings must stay visible to test/t/050_lint_guard.pl)

-- Refused: CREATE PUBLICATION of a table without a replica identity, of
-- a schema holding one, of a partitioned table whose partition has none.
\set VERBOSITY default
CREATE PUBLICATION p_log FOR TABLE app.log;
\set VERBOSITY terse
CREATE PUBLICATION p_schema FOR TABLES IN SCHEMA other;
CREATE PUBLICATION p_parted FOR TABLE app.parted;
-- FOR ALL TABLES: the first table it finds is named (the order of the
-- catalog), so only the SQLSTATE is shown
\set VERBOSITY sqlstate
CREATE PUBLICATION p_all FOR ALL TABLES;
\set VERBOSITY terse
-- row filter outside the identity, column list without all of it
CREATE PUBLICATION p_filter FOR TABLE app.keyed WHERE (region = 'eu');
CREATE PUBLICATION p_columns FOR TABLE app.keyed (region, note);

-- Not refused: a primary key, FULL, a publication of inserts only, a row
-- filter and a column list within the primary key.
CREATE PUBLICATION pub FOR TABLE app.orders;
CREATE PUBLICATION pub_full FOR TABLE app.log_full;
CREATE PUBLICATION pub_inserts FOR TABLE app.log WITH (publish = 'insert');
CREATE PUBLICATION pub_keyed FOR TABLE app.keyed WHERE (id > 0);
CREATE PUBLICATION pub_keyed_columns FOR TABLE app.keyed (id, note);
-- a table created in the transaction is new: its writers are being written
BEGIN;
CREATE TABLE app.fresh (x int);
CREATE PUBLICATION pub_fresh FOR TABLE app.fresh;
COMMIT;

-- Refused: ALTER PUBLICATION ... ADD TABLE, ADD TABLES IN SCHEMA, a row
-- filter added with a table, and the same in a publication created in the
-- same transaction.
ALTER PUBLICATION pub ADD TABLE app.log;
ALTER PUBLICATION pub ADD TABLES IN SCHEMA other;
ALTER PUBLICATION pub_full ADD TABLE app.keyed WHERE (note <> '');
BEGIN;
CREATE PUBLICATION p_new;
ALTER PUBLICATION p_new ADD TABLE app.log;
COMMIT;
-- Not refused: a publication of inserts only.
ALTER PUBLICATION pub_inserts ADD TABLE app.parted, other.t;
-- SET TABLE and SET (publish = ...) stop publishing too (unpublish): lint
-- shows both findings, which a migration declares and an allowance of the
-- statement covers.
SELECT statement, rule, message FROM migrator.lint($$
ALTER PUBLICATION pub_inserts SET (publish = 'insert, update');
ALTER PUBLICATION pub SET TABLE app.orders, app.log;
$$) WHERE rule IN ('unpublish', 'publish_without_identity') ORDER BY statement, rule, message;

-- Not refused: the identity is given in the same transaction, before
-- commit, after the publication.
BEGIN;
ALTER PUBLICATION pub ADD TABLE app.log;
ALTER TABLE app.log REPLICA IDENTITY FULL;
COMMIT;
BEGIN;
ALTER PUBLICATION pub ADD TABLE app.parted;
ALTER TABLE app.parted_1 ADD PRIMARY KEY (id);
COMMIT;
-- Refused: the identity taken away again in the transaction.
BEGIN;
CREATE PUBLICATION p_later FOR TABLE other.t;
ALTER TABLE other.t REPLICA IDENTITY FULL;
ALTER TABLE other.t REPLICA IDENTITY DEFAULT;
ROLLBACK;
-- Dropping the primary key or the identity index of a published table is
-- refused as a drop; lint names what it breaks too (not the index of a
-- table only published for inserts, nor one that is not the identity).
CREATE UNIQUE INDEX log_full_at ON app.log_full (at);
ALTER TABLE app.log_full ALTER COLUMN at SET NOT NULL, REPLICA IDENTITY USING INDEX log_full_at;
CREATE INDEX orders_amount ON app.orders (amount);
SELECT statement, rule, message FROM migrator.lint($$
ALTER TABLE app.orders DROP CONSTRAINT orders_pkey;
DROP INDEX app.log_full_at;
DROP INDEX app.orders_amount;
ALTER TABLE app.parted_1 DROP CONSTRAINT parted_1_pkey;
$$) WHERE rule IN ('drop_constraint', 'drop_index', 'publish_without_identity')
 ORDER BY statement, rule, message;
BEGIN;
SELECT migrator.allow('DROP INDEX app.log_full_at', reason => 'a new identity follows');
DROP INDEX app.log_full_at;
ALTER TABLE app.log_full REPLICA IDENTITY FULL;
COMMIT;
BEGIN;
SELECT migrator.allow('ALTER TABLE app.orders DROP CONSTRAINT orders_pkey', reason => 'show what breaks');
ALTER TABLE app.orders DROP CONSTRAINT orders_pkey;
DELETE FROM app.orders;
ROLLBACK;
-- Not refused: what failed already is not this statement's doing (other.t
-- is published for updates by an allowed publication; adding another
-- table with a key to it breaks nothing more).
BEGIN;
SELECT migrator.allow('CREATE PUBLICATION p_broken FOR TABLE other.t', reason => 'updates are not replicated');
CREATE PUBLICATION p_broken FOR TABLE other.t;
COMMIT;
ALTER PUBLICATION p_broken ADD TABLE app.keyed;

-- What the refusal prevents: allowed, it runs, and the next UPDATE fails.
BEGIN;
SELECT migrator.allow('CREATE PUBLICATION p_show FOR TABLE app.keyed WHERE (region = ''eu'')', reason => 'show what breaks');
CREATE PUBLICATION p_show FOR TABLE app.keyed WHERE (region = 'eu');
UPDATE app.keyed SET note = 'm';
ROLLBACK;
UPDATE other.t SET x = 2;

-- Lint reports them, and sees an identity given later in the same script.
CREATE TABLE app.log2 (at timestamptz, msg text);
SELECT rule, object, message FROM migrator.lint($$
CREATE PUBLICATION l1 FOR TABLE app.log2;
CREATE PUBLICATION l2 FOR TABLE app.keyed (region);
$$) WHERE rule = 'publish_without_identity' ORDER BY line;
SELECT count(*) AS findings FROM migrator.lint($$
CREATE PUBLICATION l1 FOR TABLE app.log2;
ALTER TABLE app.log2 REPLICA IDENTITY FULL;
$$) WHERE rule = 'publish_without_identity';

-- A migration that declares it passes.
SELECT version, kind FROM migrator.register('1',
    'CREATE PUBLICATION p_mig FOR TABLE app.log2',
    down => 'DROP PUBLICATION p_mig',
    plan => 'app.log2 is append-only: its updates need not replicate');
SELECT version, outcome FROM migrator.apply();
SELECT pubname, array_agg(tablename::text ORDER BY tablename) AS tables
  FROM pg_publication_tables GROUP BY pubname ORDER BY pubname;
SELECT rule, object, statement FROM migrator.events
 WHERE action = 'block' AND statement NOT LIKE '%ALL TABLES%' ORDER BY id;
SELECT count(*) AS all_tables_refused FROM migrator.events
 WHERE action = 'block' AND statement LIKE '%ALL TABLES%' AND rule = 'publish_without_identity';
\c postgres
