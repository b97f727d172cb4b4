-- Legitimate work the guard lets run (found refused by a review of 0.3).
-- lo_unlink() is how applications (JDBC, ORMs, vacuumlo) delete large
-- objects; the object access hook of 0.3 judged the large object's drop
-- outside any utility statement and refused it (0.2 let it run: no event
-- trigger fires for it).  It is data manipulation, like DELETE, which the
-- guard leaves to privileges, also for an object created in the same statement.
CREATE DATABASE review_legit;
\c review_legit
CREATE EXTENSION migrator;
CREATE ROLE review_legit_app;
GRANT CREATE ON SCHEMA public TO review_legit_app;
CREATE TABLE docs (id int, blob oid);
INSERT INTO docs VALUES (1, lo_from_bytea(0, 'hello'));
\set VERBOSITY terse
SELECT lo_unlink(blob) FROM docs;
SELECT lo_unlink(lo_create(0));
SET ROLE review_legit_app;
SELECT lo_unlink(lo_from_bytea(0, 'scratch'));
RESET ROLE;

-- Objects created earlier in the same transaction, of every kind (the
-- guard once exempted tables, views, types, functions and schemas only).
BEGIN;
CREATE EXTENSION isn;
DROP EXTENSION isn;
COMMIT;
BEGIN;
CREATE TYPE mood AS ENUM ('sad', 'ok');
ALTER TYPE mood RENAME VALUE 'ok' TO 'fine';
COMMIT;
BEGIN;
CREATE TABLE staging (id int);
ALTER TABLE staging ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON staging USING (true);
DROP POLICY p ON staging;
COMMIT;
SET client_min_messages = error;
BEGIN;
CREATE TABLE pub_staging (id int);
CREATE PUBLICATION scratch_pub FOR TABLE pub_staging;
DROP PUBLICATION scratch_pub;
COMMIT;
RESET client_min_messages;

-- DROP ... IF EXISTS of an object that does not exist drops nothing (the
-- idempotent scripts of many tools start with them), of every kind (they
-- were once refused but for relations, types, functions and schemas).
DROP POLICY IF EXISTS nosuch ON docs;
DROP TRIGGER IF EXISTS nosuch ON docs;
DROP RULE IF EXISTS nosuch ON docs;
DROP EXTENSION IF EXISTS nosuch;
DROP STATISTICS IF EXISTS nosuch;
DROP PUBLICATION IF EXISTS nosuch;
DROP ROLE IF EXISTS review_legit_nosuch;

-- DROP DATABASE of a database nobody protects runs from every database,
-- one with migrator too (it was refused there, with a hint, allow() in the
-- same transaction, that cannot be followed: DROP DATABASE does not run in
-- a transaction block).
CREATE DATABASE review_legit_scratch;
DROP DATABASE review_legit_scratch;
SELECT count(*) AS scratch_left FROM pg_database WHERE datname = 'review_legit_scratch';
SELECT extname FROM pg_extension WHERE extname = 'isn';
SELECT enumlabel FROM pg_enum WHERE enumtypid = 'mood'::regtype ORDER BY enumsortorder;
SELECT count(*) AS publications FROM pg_publication WHERE pubname = 'scratch_pub';
SELECT count(*) AS large_objects FROM pg_largeobject_metadata;
\c postgres
