-- The protection of a database is not waived from another database (a
-- review of 0.3 found it was).  The marker can be removed only by a
-- superuser, yet the owner of a protected database (a non-superuser)
-- renamed it with an allowance, and dropped it with a registered
-- migration, in ANY other database where it may call migrator.allow() or
-- deploy(): those permits are meant for that other database's own objects,
-- and nothing was recorded in the protected database.  Both are refused:
-- only removing the marker (superuser, in the protected database) lets
-- them run.
SELECT current_user AS superuser \gset
CREATE DATABASE review_db_target;
\c review_db_target
CREATE EXTENSION migrator;
CREATE TABLE keep (id int);
INSERT INTO keep VALUES (1);
CREATE DATABASE review_db_target2;
\c review_db_target2
CREATE EXTENSION migrator;
\c regression
CREATE ROLE review_db_owner LOGIN CREATEDB;
ALTER DATABASE review_db_target OWNER TO review_db_owner;
ALTER DATABASE review_db_target2 OWNER TO review_db_owner;
-- The owner's own database, where it deploys its migrations.
CREATE DATABASE review_db_other OWNER review_db_owner;
\c review_db_other
CREATE EXTENSION migrator;
GRANT USAGE ON SCHEMA migrator TO review_db_owner;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrator TO review_db_owner;
\set VERBOSITY terse
SET ROLE review_db_owner;
BEGIN;
SELECT migrator.allow('ALTER DATABASE review_db_target RENAME TO review_db_gone', reason => 'rename');
ALTER DATABASE review_db_target RENAME TO review_db_gone;
COMMIT;
SELECT version, kind FROM migrator.register('1', 'DROP DATABASE review_db_target2',
    down => 'CREATE DATABASE review_db_target2', plan => 'drop it', transactional => false);
RESET ROLE;
\c review_db_other review_db_owner
SET client_min_messages = warning;
\set VERBOSITY sqlstate
CALL migrator.deploy();
\set VERBOSITY terse
RESET client_min_messages;
\c regression :superuser
SELECT datname FROM pg_database
 WHERE datname IN ('review_db_target', 'review_db_target2', 'review_db_gone') ORDER BY 1;

-- A database whose extension went with DROP SCHEMA migrator CASCADE (or
-- DROP OWNED BY its owner) loses the marker as with DROP EXTENSION (it
-- kept it, and the refusal's hint pointed at a migrator.events that was
-- gone).
CREATE DATABASE review_db_stale;
\c review_db_stale
CREATE EXTENSION migrator;
-- one migration and one exemption: the history's counts in their singular form
SELECT version FROM migrator.register('1', 'CREATE TABLE one (id int)', 'DROP TABLE one');
SELECT migrator.exempt(rule => 'drop_index', role => current_user, reason => 'one') > 0 AS exempted;
BEGIN;
SELECT migrator.allow('DROP SCHEMA migrator CASCADE', reason => 'uninstall');
DROP SCHEMA migrator CASCADE;
COMMIT;
SELECT count(*) AS markers FROM pg_shseclabel s JOIN pg_database d ON d.oid = s.objoid
 WHERE d.datname = current_database();
\c postgres
