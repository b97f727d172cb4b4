-- migrator 0.1 -> 0.2: events record where a call came from.
--
-- Existing rows keep NULL in the new columns: their origin was not
-- recorded, and a default would stamp them with the upgrading session's.
-- Neither column has a default, so adding them rewrites nothing.

\echo Use "ALTER EXTENSION migrator UPDATE TO '0.2'" to load this file. \quit

ALTER TABLE migrator.events
    ADD COLUMN application_name text,
    ADD COLUMN client_addr inet;

COMMENT ON COLUMN migrator.events.application_name IS
    'application_name of the session that made the call (NULL before 0.2)';
COMMENT ON COLUMN migrator.events.client_addr IS
    'client address of that session; NULL for a Unix-socket connection and before 0.2';
