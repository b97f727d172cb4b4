\set VERBOSITY default
\pset footer off
CREATE EXTENSION migrator;
CREATE SCHEMA app;

-- 1. register: stored as pending, classified by the server's own parser
SELECT version, kind, state, left(checksum, 12) AS checksum
  FROM migrator.register('001', 'CREATE TABLE app.customers (id bigint PRIMARY KEY, email text NOT NULL)',
                         down => 'DROP TABLE app.customers', name => 'customers',
                         verify => 'SELECT to_regclass(''app.customers'') IS NOT NULL');
SELECT version, kind, state
  FROM migrator.register('002', 'ALTER TABLE app.customers ADD COLUMN email_lower text; UPDATE app.customers SET email_lower = lower(email)',
                         down => 'ALTER TABLE app.customers DROP COLUMN email_lower', name => 'backfill email_lower');

-- 2. the seed rule: a destructive migration needs a plan and a down script
SELECT migrator.register('003', 'ALTER TABLE app.customers DROP COLUMN email');
SELECT version, kind, state
  FROM migrator.register('003', 'ALTER TABLE app.customers DROP COLUMN email',
                         down => 'ALTER TABLE app.customers ADD COLUMN email text',
                         plan => 'contract step: 002 added and backfilled email_lower; readers moved in release 4.2; down re-adds the column (data restored from email_lower)',
                         name => 'drop email');

-- 3. apply: in the caller's transaction, schema and history together
SELECT * FROM migrator.apply();

-- 4. status and verify
SELECT version, name, kind, state, applied_by FROM migrator.status();
SELECT * FROM migrator.verify();

-- 5. roll back the last two, most recent first
SELECT version, kind, outcome FROM migrator.rollback(2);
SELECT version, state FROM migrator.status();

-- 6. the guard: destructive DDL that no planned migration declares is refused
--    at the server, whoever sends it
DROP TABLE app.customers;

-- 7. the append-only event log (refusals included)
SELECT id, version, action, migration_type, outcome, role, application_name FROM migrator.events ORDER BY id;
