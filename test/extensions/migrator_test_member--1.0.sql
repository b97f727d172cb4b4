-- migrator test extension, version 1.0: a table, a view, a function, a type.
CREATE TABLE member_data (id int, v text);
CREATE VIEW member_view AS SELECT id FROM member_data;
CREATE FUNCTION member_f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TYPE member_mood AS ENUM ('ok');
CREATE SEQUENCE member_seq;
