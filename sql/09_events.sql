-- migrator.events: every call records where it came from (0.2):
-- application_name and client address of the session, also for refusals
-- written by the background worker.
CREATE DATABASE migrator_events;
\c migrator_events
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never

SET application_name = 'deploy-job';
SELECT version, kind FROM migrator.register('1', 'CREATE TABLE t (id int)', 'DROP TABLE t');
SELECT version, outcome FROM migrator.apply();

-- a refusal: the worker that writes the row is not where the call came from
DROP TABLE t;

-- an application_name is data, also where the worker's SQL quotes it
SET application_name = 'x''); DELETE FROM migrator.events; --';
DROP TABLE t;
SELECT count(*) AS blocks FROM migrator.events WHERE action = 'block';

-- no application_name at all
SET application_name = '';
SELECT version, outcome FROM migrator.rollback();

-- over a Unix socket there is no client address
SELECT action, outcome, version, application_name, client_addr
  FROM migrator.events ORDER BY id;

-- the columns are documented in the catalog
SELECT attname, col_description(attrelid, attnum) IS NOT NULL AS commented
  FROM pg_attribute
 WHERE attrelid = 'migrator.events'::regclass AND attname IN ('application_name', 'client_addr')
 ORDER BY attnum;
