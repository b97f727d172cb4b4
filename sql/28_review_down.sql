-- Review of the guard (0.3): a down script destroys without a plan.  An
-- additive migration needs no plan, and its down script is "declared" by
-- being registered: a down script that drops an OLD table (not one its up
-- script creates) is registered without a plan, classified additive, and
-- rollback() drops the table.  register() must treat destructive findings
-- of the down script on objects the up script does not create as making
-- the migration destructive (plan required), or rollback() must refuse them.
CREATE DATABASE review_down;
\c review_down
CREATE EXTENSION migrator;
CREATE TABLE customers (id int PRIMARY KEY, name text);
INSERT INTO customers VALUES (1, 'a'), (2, 'b');
\set VERBOSITY terse
SELECT version, kind FROM migrator.register('1', 'CREATE TABLE scratch (id int)',
    down => 'DROP TABLE scratch; DROP TABLE customers CASCADE');
SELECT count(*) > 0 AS registered FROM migrator.migrations \gset
\if :registered
SELECT version, outcome FROM migrator.apply();
SELECT version, kind, outcome FROM migrator.rollback();
\endif
SELECT count(*) AS customers FROM customers;
\c postgres
