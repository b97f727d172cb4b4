-- Review of the guard (0.3): statements that lose no row but break the
-- readers or writers of an old table with rows.  REPLICA IDENTITY NOTHING
-- (or DEFAULT without a primary key) of a table a publication publishes
-- UPDATE or DELETE of: every later UPDATE and DELETE of it fails (rule
-- drop_replica_identity).  ENABLE or FORCE ROW LEVEL SECURITY of a table
-- left without a permissive policy: readers other than the owner see no
-- row (rule rls_without_policy, judged when the transaction commits, since
-- migrations create the policies after enabling row security).  Each is
-- refused unplanned, with an events row, and passes when a migration
-- declares it; what breaks nobody passes.
CREATE DATABASE review_readers;
\c review_readers
CREATE EXTENSION migrator;
CREATE ROLE review_readers_app;
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO review_readers_app;
CREATE TABLE app.orders (id int PRIMARY KEY, amount int);
CREATE TABLE app.events (at timestamptz, kind text) PARTITION BY RANGE (at);
CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE app.events_2026 REPLICA IDENTITY FULL;
CREATE TABLE app.audit (id int PRIMARY KEY, note text);
CREATE TABLE app.notes (id int PRIMARY KEY, body text);
CREATE TABLE app.secrets (id int PRIMARY KEY, owner name);
CREATE TABLE app.drafts (id int PRIMARY KEY, body text);
CREATE TABLE app.private (id int PRIMARY KEY, body text);
INSERT INTO app.orders VALUES (1, 10), (2, 20);
INSERT INTO app.events VALUES ('2026-05-01', 'a');
INSERT INTO app.audit VALUES (1, 'x');
INSERT INTO app.notes VALUES (1, 'n');
INSERT INTO app.secrets VALUES (1, 'review_readers_app'), (2, 'someone_else');
INSERT INTO app.private VALUES (1, 'p');
GRANT SELECT, UPDATE ON ALL TABLES IN SCHEMA app TO review_readers_app;
-- only the owners read app.private and app.audit; app.audit's owner is no
-- superuser
REVOKE ALL ON app.private, app.audit FROM review_readers_app;
CREATE ROLE review_readers_owner;
ALTER TABLE app.audit OWNER TO review_readers_owner;
SET client_min_messages = error;
-- the partitions publish through their root
CREATE PUBLICATION pub FOR TABLE app.orders, app.events WITH (publish_via_partition_root);
CREATE PUBLICATION pub_inserts FOR TABLE app.audit WITH (publish = 'insert');
RESET client_min_messages;
\set VERBOSITY terse

-- Refused: a published table would lose its replica identity.
ALTER TABLE app.orders REPLICA IDENTITY NOTHING;
ALTER TABLE app.events_2026 REPLICA IDENTITY DEFAULT;
-- Not refused: FULL and USING INDEX keep one, DEFAULT has the primary key,
-- and a publication of inserts only sends no identity.
ALTER TABLE app.orders REPLICA IDENTITY FULL;
ALTER TABLE app.orders REPLICA IDENTITY USING INDEX orders_pkey;
ALTER TABLE app.orders REPLICA IDENTITY DEFAULT;
ALTER TABLE app.audit REPLICA IDENTITY NOTHING;
-- What the refusal prevents: allowed, it runs, and the next UPDATE fails.
BEGIN;
SELECT migrator.allow('ALTER TABLE app.orders REPLICA IDENTITY NOTHING', reason => 'show what breaks');
ALTER TABLE app.orders REPLICA IDENTITY NOTHING;
UPDATE app.orders SET amount = amount + 1;
ROLLBACK;

-- Refused when the transaction commits: row security on, no permissive
-- policy, rows in the table.
\set VERBOSITY default
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
\set VERBOSITY terse
BEGIN;
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
-- a restrictive policy grants nothing by itself
CREATE POLICY narrow ON app.notes AS RESTRICTIVE USING (id > 0);
COMMIT;
-- FORCE takes the rows away from the owner too.
-- (enabling it holds nobody back: only the owner reads the table)
ALTER TABLE app.audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.audit FORCE ROW LEVEL SECURITY;
-- Not refused: the policy follows in the same transaction, as migrations
-- write it; an empty table is being set up (no reader loses a row); only
-- the owner reads the table, and row security does not hold it back (a
-- restore enables row security before its grants).
BEGIN;
ALTER TABLE app.secrets ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY own ON app.secrets USING (owner = current_user);
COMMIT;
ALTER TABLE app.drafts ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.private ENABLE ROW LEVEL SECURITY;
SET ROLE review_readers_app;
SELECT count(*) AS secrets_seen FROM app.secrets;
SELECT count(*) AS notes_seen FROM app.notes;
RESET ROLE;

-- Lint reports both where they break someone (the same catalog as the
-- guard), and sees a policy created later in the same script.
SELECT statement, rule, message FROM migrator.lint($$
ALTER TABLE app.orders REPLICA IDENTITY NOTHING;
ALTER TABLE app.audit REPLICA IDENTITY NOTHING;
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.drafts DISABLE ROW LEVEL SECURITY;
ALTER TABLE app.drafts ENABLE ROW LEVEL SECURITY;
$$) WHERE rule IN ('drop_replica_identity', 'rls_without_policy') ORDER BY statement;
SELECT statement, rule, message FROM migrator.lint($$
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY readable ON app.notes USING (true);
$$) WHERE rule IN ('drop_replica_identity', 'rls_without_policy');

-- A migration that declares them passes.
SELECT version, kind FROM migrator.register('1',
    $m$ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY; ALTER TABLE app.orders REPLICA IDENTITY NOTHING$m$,
    down => 'ALTER TABLE app.notes DISABLE ROW LEVEL SECURITY; ALTER TABLE app.orders REPLICA IDENTITY DEFAULT',
    plan => 'notes are the owner''s only; orders are no longer updated');
SELECT version, outcome FROM migrator.apply();
SELECT relname, relreplident, relrowsecurity, relforcerowsecurity FROM pg_class
 WHERE relnamespace = 'app'::regnamespace AND relkind IN ('r', 'p') ORDER BY relname;
SELECT rule, object, statement FROM migrator.events WHERE action = 'block' ORDER BY id;
\c postgres
