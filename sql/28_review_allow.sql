-- Review of the guard (0.3): an allowance (or a migration's declaration)
-- covers more than the statement it names, because a finding's object is
-- NULL (DROP OWNED, DROP ROLE), the name without the arguments (functions),
-- the parent (DETACH PARTITION) or the column whatever the new type is
-- (ALTER COLUMN TYPE).  The events row then records a statement other than
-- the one that ran.  Each second statement below must be refused.  An
-- allowance names a function with its argument types and a type change
-- with its new type, collation and USING expression, as the catalog names
-- them (int and int4 are the same), so it covers no other overload and no
-- other type change.
CREATE DATABASE review_allowances;
\c review_allowances
CREATE EXTENSION migrator;
CREATE ROLE review_allow_leaver;
CREATE ROLE review_allow_owner;
CREATE ROLE review_allow_a;
CREATE ROLE review_allow_b;
CREATE SCHEMA app AUTHORIZATION review_allow_owner;
SET ROLE review_allow_owner;
CREATE TABLE app.customers (id int PRIMARY KEY, code varchar(10));
INSERT INTO app.customers VALUES (1, 'abc'), (2, 'de');
CREATE TABLE app.orders (id int, placed date) PARTITION BY RANGE (placed);
CREATE TABLE app.orders_2024 PARTITION OF app.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.orders_2025 PARTITION OF app.orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO app.orders VALUES (1, '2024-05-01'), (2, '2025-05-01');
CREATE FUNCTION app.ov(int) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION app.ov(text) RETURNS int LANGUAGE sql AS 'SELECT 2';
RESET ROLE;
\set VERBOSITY terse

BEGIN;
SELECT migrator.allow('DROP OWNED BY review_allow_leaver', reason => 'the contractor left');
DROP OWNED BY review_allow_owner;
ROLLBACK;
BEGIN;
SELECT migrator.allow('DROP ROLE review_allow_a', reason => 'unused');
DROP ROLE review_allow_b;
ROLLBACK;
BEGIN;
SELECT migrator.allow('ALTER TABLE app.orders DETACH PARTITION app.orders_2025', reason => 'archive 2025');
ALTER TABLE app.orders DETACH PARTITION app.orders_2024;
ROLLBACK;
BEGIN;
SELECT migrator.allow('DROP FUNCTION app.ov(int)', reason => 'replaced by ov(bigint)');
DROP FUNCTION app.ov(text);
ROLLBACK;
BEGIN;
SELECT migrator.allow('ALTER TABLE app.customers ALTER COLUMN code TYPE varchar(5)', reason => 'codes are short');
ALTER TABLE app.customers ALTER COLUMN code TYPE varchar(5) USING NULL;
ROLLBACK;
BEGIN;
SELECT migrator.allow('ALTER TABLE app.customers ALTER COLUMN code TYPE varchar(5)', reason => 'codes are short');
ALTER TABLE app.customers ALTER COLUMN code TYPE varchar(2);
ROLLBACK;
-- The statements allowed run, however they are written.
BEGIN;
SELECT migrator.allow('DROP FUNCTION app.ov(int)', reason => 'replaced by ov(bigint)');
DROP FUNCTION app.ov(int4);
SELECT migrator.allow('ALTER TABLE app.customers ALTER COLUMN code TYPE varchar(5) USING left(code, 5)', reason => 'codes are short');
ALTER TABLE app.customers ALTER COLUMN code TYPE character varying(5) USING left( code , 5 );
ROLLBACK;

-- A migration's declaration covers the same way: the script declares one
-- role's DROP OWNED at the top level and runs another's in a DO block.
SELECT version, kind FROM migrator.register('1',
    $m$DROP OWNED BY review_allow_leaver; DO $do$ BEGIN EXECUTE 'DROP OWNED BY review_allow_owner'; END $do$$m$,
    down => 'SELECT 1', plan => 'the contractor left');
SELECT version, outcome FROM migrator.apply();

SELECT count(*) AS customers, count(code) AS codes FROM app.customers;
SELECT count(*) AS orders FROM app.orders;
SELECT count(*) AS ov FROM pg_proc WHERE proname = 'ov';
SELECT rolname FROM pg_roles WHERE rolname LIKE 'review_allow_%' ORDER BY 1;
\c postgres
