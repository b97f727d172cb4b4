-- migrator.plan(): what apply() would do, per pending statement.
CREATE DATABASE migrator_plan;
\c migrator_plan
CREATE EXTENSION migrator;
\set SHOW_CONTEXT never
-- The tables are empty here; plan them as the large tables of the docs.
SET migrator.lint_table_sizes = off;

CREATE TABLE orders (id int PRIMARY KEY, customer int, total numeric, note varchar(20));
CREATE TABLE customers (id int PRIMARY KEY);
CREATE INDEX orders_note ON orders (note);

SELECT version FROM migrator.register('1', 'CREATE TABLE items (id int PRIMARY KEY, order_id int REFERENCES orders);
CREATE INDEX ON items (order_id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer) REFERENCES customers NOT VALID;
ALTER TABLE orders ALTER COLUMN note TYPE text');
SELECT version FROM migrator.register('2', 'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
CREATE INDEX ON orders (customer);
ALTER TABLE orders ALTER COLUMN total TYPE float8;
UPDATE orders SET note = ''''', down => 'ALTER TABLE orders ALTER COLUMN total TYPE numeric',
  plan => 'float8 is enough for totals; the down script restores numeric');
SELECT version FROM migrator.register('3', '-- nothing here');
SELECT version FROM migrator.register('4', 'DROP INDEX CONCURRENTLY orders_note; REINDEX TABLE CONCURRENTLY items',
  'CREATE INDEX CONCURRENTLY orders_note ON orders (note)', plan => 'the index is unused',
  transactional => false);
SELECT version FROM migrator.register('5', 'ALTER TABLE orders ADD COLUMN added timestamptz DEFAULT clock_timestamp(), ADD COLUMN n int;
ALTER TABLE items ADD COLUMN added timestamptz DEFAULT clock_timestamp();
LOCK TABLE customers IN SHARE MODE;
CREATE TRIGGER t BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()');

SELECT * FROM migrator.plan();
-- up to a target; an unknown target is refused
SELECT version, statement, command FROM migrator.plan('2');
SELECT * FROM migrator.plan('nope');
\echo :LAST_ERROR_SQLSTATE
-- plan() changes nothing
SELECT count(*) FROM pg_class WHERE relname = 'items';
SELECT version, state FROM migrator.status();
-- applied migrations leave the plan
SELECT version FROM migrator.apply('2');
SELECT DISTINCT version FROM migrator.plan() ORDER BY 1;
