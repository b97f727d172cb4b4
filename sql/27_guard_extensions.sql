-- Statements run by CREATE EXTENSION and ALTER EXTENSION ... UPDATE are
-- judged like any other, except on the extension's own objects: an update
-- script drops and replaces what an earlier version created.  What is not
-- a member of that extension (a user table, a function, a CASCADE victim)
-- is judged, and so are statements of event triggers the script fires.
-- The test extensions are in test/extensions (tmp_install only).
CREATE DATABASE migrator_guard_ext;
\c migrator_guard_ext
CREATE EXTENSION migrator;
CREATE TABLE victim (id int, v text);
INSERT INTO victim VALUES (1, 'a');
CREATE FUNCTION user_f() RETURNS int LANGUAGE sql AS 'SELECT 1';
\set VERBOSITY terse

-- Attack: an install script that drops a user table.
CREATE EXTENSION migrator_test_evil;
-- Attack: an event trigger that a statement of an extension script fires.
BEGIN;
CREATE FUNCTION drop_victim() RETURNS event_trigger LANGUAGE plpgsql AS
    $$ BEGIN DROP TABLE IF EXISTS public.victim; END $$;
CREATE EVENT TRIGGER drop_victim ON ddl_command_end WHEN TAG IN ('CREATE FUNCTION')
    EXECUTE FUNCTION drop_victim();
CREATE EXTENSION migrator_test_member VERSION '1.0';
ROLLBACK;

-- An extension's own objects: its update script may drop and replace them.
CREATE EXTENSION migrator_test_member VERSION '1.0';
ALTER EXTENSION migrator_test_member UPDATE TO '1.1';
SELECT member_f();
-- Attack: update scripts that truncate or alter a user table, or drop a
-- user function.
ALTER EXTENSION migrator_test_member UPDATE TO '1.2';
ALTER EXTENSION migrator_test_member UPDATE TO '1.3';
ALTER EXTENSION migrator_test_member UPDATE TO '1.4';
-- An allowance covers what the script does, as for any statement.
BEGIN;
SELECT migrator.allow('TRUNCATE public.victim', reason => 'the 1.2 update empties it, agreed');
ALTER EXTENSION migrator_test_member UPDATE TO '1.2';
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
-- Attack: make a user table the extension's, so that its scripts and DROP
-- EXTENSION may drop it.
ALTER EXTENSION migrator_test_member ADD TABLE victim;
-- Attack: an update script drops its own function with CASCADE, and a
-- user's view that calls it goes along.
CREATE VIEW user_view AS SELECT member_f() AS x;
ALTER EXTENSION migrator_test_member UPDATE TO '1.5';

SELECT * FROM victim;
SELECT user_f();
SELECT * FROM user_view;
SELECT extname, extversion FROM pg_extension ORDER BY 1;
SELECT rule, statement FROM migrator.events WHERE action = 'block' ORDER BY id;

-- An update script renames its own function (judged by its address, for
-- every kind of object), and a user's function: refused.
ALTER EXTENSION migrator_test_member UPDATE TO '1.7';
ALTER EXTENSION migrator_test_member UPDATE TO '1.6';
SELECT member_f(), user_f();
SELECT extversion FROM pg_extension WHERE extname = 'migrator_test_member';
