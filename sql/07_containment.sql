-- A migration cannot change the environment of the caller or of the next
-- migration, nor gain rights: SET ROLE, SET SESSION AUTHORIZATION, RESET ALL
-- and search_path changes are contained; recursion is refused.
CREATE DATABASE migrator_containment;
\c migrator_containment
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
CREATE ROLE mig_owner;
CREATE ROLE mig_deployer;
CREATE ROLE mig_stranger;
GRANT mig_owner TO mig_deployer;
GRANT CREATE ON SCHEMA public TO mig_owner, mig_deployer, mig_stranger;
GRANT USAGE ON SCHEMA migrator TO mig_deployer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrator TO mig_deployer;

-- the deploy role logs in as itself (session user), as in production
SET SESSION AUTHORIZATION mig_deployer;
SET work_mem = '5MB';
SELECT version FROM migrator.register('1',
  'SET ROLE mig_owner; CREATE TABLE owned_by_owner (id int); RESET ALL; SET search_path = pg_catalog; SET work_mem = ''9MB''',
  'DROP TABLE public.owned_by_owner');
SELECT version FROM migrator.register('2',
  'CREATE TABLE owned_by_deployer (id int); SELECT current_user AS who', 'DROP TABLE owned_by_deployer');
SELECT version, outcome FROM migrator.apply();
-- the second migration ran as the caller again, with the caller's search_path
SELECT tablename, tableowner FROM pg_tables WHERE tablename LIKE 'owned_by_%' ORDER BY 1;
-- and the caller's settings are back
SELECT current_user, current_setting('work_mem') AS work_mem, current_setting('search_path') AS search_path;

-- a role the caller is not a member of cannot be reached
SELECT version FROM migrator.register('3', 'SET ROLE mig_stranger', '');
SELECT version, outcome FROM migrator.apply();
\echo :LAST_ERROR_SQLSTATE
-- SET SESSION AUTHORIZATION is allowed only because this test logged in as
-- a superuser (PostgreSQL checks the authenticated user); even so, it ends
-- with the migration
SELECT version FROM migrator.register('3', 'SET SESSION AUTHORIZATION mig_stranger; CREATE TABLE by_stranger (id int)', 'DROP TABLE by_stranger');
SELECT version, outcome FROM migrator.apply();
SELECT tableowner FROM pg_tables WHERE tablename = 'by_stranger';
SELECT current_user, session_user;
RESET SESSION AUTHORIZATION;
