-- A down script that destroys what its up script did not create makes the
-- migration destructive (plan required).  An additive migration needs no
-- plan, and its down script is "declared" by being registered: a review of
-- 0.3 found a down script that drops an OLD table registered without a
-- plan, classified additive, and rollback() dropped the table.
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
