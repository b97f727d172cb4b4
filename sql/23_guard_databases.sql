-- The guard across databases.  A database where migrator is installed is
-- marked as protected in a shared catalog (a security label of provider
-- "migrator" in pg_shseclabel), and every backend of the server (the
-- library is preloaded everywhere) refuses DROP DATABASE and ALTER
-- DATABASE ... RENAME of it, from whichever database they are sent:
-- dropdb connects to postgres or template1, where migrator is not
-- installed.
CREATE DATABASE guard_db_app;
\c guard_db_app
CREATE EXTENSION migrator;
CREATE TABLE keep (id int);
INSERT INTO keep VALUES (1);
SELECT s.provider, s.label
  FROM pg_shseclabel s JOIN pg_database d ON d.oid = s.objoid
 WHERE s.classoid = 'pg_database'::regclass AND d.datname = current_database();
\c regression
CREATE ROLE guard_db_owner LOGIN CREATEDB;
ALTER DATABASE guard_db_app OWNER TO guard_db_owner;

-- One refusal in full, from a database without the extension.
DROP DATABASE guard_db_app;
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
DROP DATABASE guard_db_app WITH (FORCE);
DROP DATABASE IF EXISTS guard_db_app;
ALTER DATABASE guard_db_app RENAME TO guard_db_renamed;
-- The owner of the database, not a superuser: refused too, and cannot
-- remove the marker.
SET ROLE guard_db_owner;
DROP DATABASE guard_db_app;
ALTER DATABASE guard_db_app RENAME TO guard_db_renamed;
SECURITY LABEL FOR migrator ON DATABASE guard_db_app IS NULL;
-- nor protect a database of its own (that is CREATE EXTENSION's job)
CREATE DATABASE guard_db_owned;
SECURITY LABEL FOR migrator ON DATABASE guard_db_owned IS 'protected';
RESET ROLE;
DROP DATABASE guard_db_owned;
-- The marker knows one value.
SECURITY LABEL FOR migrator ON DATABASE guard_db_app IS 'whatever';
SELECT datname FROM pg_database WHERE datname LIKE 'guard_db%' ORDER BY 1;

-- A copy made with CREATE DATABASE ... TEMPLATE holds the extension, and
-- is protected too.
CREATE DATABASE guard_db_copy TEMPLATE guard_db_app;
DROP DATABASE guard_db_copy;
SELECT d.datname, s.label
  FROM pg_shseclabel s JOIN pg_database d ON d.oid = s.objoid
 WHERE s.classoid = 'pg_database'::regclass AND s.provider = 'migrator'
   AND d.datname LIKE 'guard_db%' ORDER BY 1;

-- The refusals are recorded in the protected database's own history,
-- although they were sent from elsewhere.
\c guard_db_app
SELECT action, outcome, rule, database, statement
  FROM migrator.events WHERE action = 'block' ORDER BY id;

-- The documented way to drop it: a superuser removes the marker, in the
-- database itself, which records it; then DROP DATABASE runs.
SECURITY LABEL FOR migrator ON DATABASE guard_db_app IS NULL;
SELECT action, outcome, rule, statement, detail FROM migrator.events WHERE action = 'allow';
\c regression
DROP DATABASE guard_db_app;

-- DROP EXTENSION migrator (allowed) takes the marker with the extension.
\c guard_db_copy
BEGIN;
SELECT migrator.allow('DROP EXTENSION migrator', reason => 'retire this copy');
DROP EXTENSION migrator;
COMMIT;
\c regression
SELECT count(*) FROM pg_shseclabel s JOIN pg_database d ON d.oid = s.objoid
 WHERE s.provider = 'migrator' AND d.datname LIKE 'guard_db%';
DROP DATABASE guard_db_copy;

-- A database without the extension is not protected.
CREATE DATABASE guard_db_plain;
ALTER DATABASE guard_db_plain RENAME TO guard_db_plain2;
DROP DATABASE guard_db_plain2;
SELECT datname FROM pg_database WHERE datname LIKE 'guard_db%' ORDER BY 1;
DROP ROLE guard_db_owner;
