-- What every ALTER EXTENSION ... UPDATE does: drop and replace its own
-- objects, created by an earlier version.
DROP VIEW member_view;
DROP FUNCTION member_f();
CREATE FUNCTION member_f() RETURNS int LANGUAGE sql AS 'SELECT 2';
ALTER TABLE member_data DROP COLUMN v;
ALTER TABLE member_data ALTER COLUMN id TYPE smallint;
ALTER TABLE member_data RENAME TO member_data2;
TRUNCATE member_data2;
DROP TABLE member_data2;
DROP TYPE member_mood;
ALTER SEQUENCE member_seq RESTART;
DROP SEQUENCE member_seq;
