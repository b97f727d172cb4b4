-- Privileges: nothing for PUBLIC; a deploy role needs EXECUTE only; history
-- is written by migrator alone.
CREATE DATABASE migrator_privileges;
\c migrator_privileges
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
CREATE ROLE mig_nobody;
CREATE ROLE mig_deploy;
GRANT CREATE ON SCHEMA public TO mig_deploy;

-- no function and no table is usable by PUBLIC
SELECT p.proname FROM pg_proc p
 WHERE p.pronamespace = 'migrator'::regnamespace
   AND has_function_privilege('mig_nobody', p.oid, 'EXECUTE')
 ORDER BY 1;
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'migrator'::regnamespace AND c.relkind IN ('r', 'S', 'v')
   AND (has_table_privilege('mig_nobody', c.oid, 'SELECT') OR has_table_privilege('mig_nobody', c.oid, 'INSERT'))
 ORDER BY 1;
SET ROLE mig_nobody;
SELECT * FROM migrator.status();
\echo :LAST_ERROR_SQLSTATE
SELECT migrator.register('1', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM migrator.migrations;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- the documented deploy role grants: EXECUTE is enough, status() included
GRANT USAGE ON SCHEMA migrator TO mig_deploy;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrator TO mig_deploy;
SET ROLE mig_deploy;
SELECT count(*) AS status_rows FROM migrator.status();
SELECT * FROM migrator.migrations;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT SELECT ON migrator.migrations, migrator.events TO mig_deploy;

SET ROLE mig_deploy;
SELECT version, registered_by FROM migrator.register('1', 'CREATE TABLE public.d1 (id int)', 'DROP TABLE public.d1');
SELECT version FROM migrator.apply();
-- user SQL runs with the caller's rights: the deploy role owns what it creates
SELECT tableowner FROM pg_tables WHERE tablename = 'd1';
SELECT version, applied_by FROM migrator.status();
SELECT role FROM migrator.events ORDER BY id;
-- and cannot do through a migration what it may not do itself
SELECT version FROM migrator.register('2', 'CREATE TABLE pg_catalog.evil (id int)', '');
SELECT * FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM migrator.register('2', 'CREATE TABLE public.d2 (id int)', 'DROP TABLE public.d2');
-- history cannot be edited directly
UPDATE migrator.migrations SET state = 'pending';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM migrator.events;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO migrator.events (action, outcome) VALUES ('apply', 'success');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- not even by a superuser, nor with triggers switched to replica mode
UPDATE migrator.migrations SET state = 'pending';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM migrator.events;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE migrator.events;
\echo :LAST_ERROR_SQLSTATE
-- the guard refuses TRUNCATE first; without it the trigger still does
SET migrator.guard = off;
TRUNCATE migrator.events;
\echo :LAST_ERROR_SQLSTATE
RESET migrator.guard;
SET session_replication_role = replica;
DELETE FROM migrator.migrations;
\echo :LAST_ERROR_SQLSTATE
RESET session_replication_role;
SELECT count(*) FROM migrator.migrations;

-- a caller's search_path cannot redirect migrator's own catalog access
CREATE SCHEMA evil;
CREATE TABLE evil.migrations (version text);
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
SET search_path = evil, public;
SELECT version FROM migrator.register('3', 'CREATE TABLE public.d3 (id int)', 'DROP TABLE public.d3');
RESET search_path;
SELECT count(*) AS evil_rows FROM evil.migrations;
SELECT registered_at > '2001-01-01' AS real_now FROM migrator.migrations WHERE version = '3';

-- functions: SECURITY INVOKER, or pinned search_path
SELECT proname, prosecdef, proconfig FROM pg_proc
 WHERE pronamespace = 'migrator'::regnamespace AND (prosecdef OR proconfig IS NOT NULL) ORDER BY 1;
