-- Review of the guard (0.3): old objects dropped as dependents without a
-- refusal.  (1) After an exempt DROP ... CASCADE of a new object, the
-- object access hook judges only kinds that "hold data"; an old policy
-- that was repointed at the new object goes unjudged, although DROP POLICY
-- of it is refused.  (2) ALTER ... DEPENDS ON EXTENSION makes an old
-- object go with the extension, the same route as ALTER EXTENSION ... ADD
-- (rule alter_extension_add), and an allowed DROP EXTENSION (without
-- CASCADE) then drops it unjudged.
CREATE DATABASE review_cascade;
\c review_cascade
CREATE EXTENSION migrator;
CREATE EXTENSION hstore;
CREATE ROLE review_cascade_owner;
CREATE ROLE review_cascade_reader;
CREATE SCHEMA app AUTHORIZATION review_cascade_owner;
GRANT USAGE ON SCHEMA app TO review_cascade_reader;
SET ROLE review_cascade_owner;
CREATE TABLE app.secrets (id int, owner name DEFAULT current_user, body text);
ALTER TABLE app.secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON app.secrets USING (owner = current_user);
INSERT INTO app.secrets VALUES (1, 'review_cascade_reader', 's1');
GRANT SELECT ON app.secrets TO review_cascade_reader;
CREATE TABLE app.orders (id int, amount int);
INSERT INTO app.orders VALUES (1, 10), (2, 20);
CREATE MATERIALIZED VIEW app.totals AS SELECT sum(amount) AS total FROM app.orders;
CREATE INDEX orders_amount ON app.orders (amount);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER touch BEFORE UPDATE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
\set VERBOSITY terse

-- (1) The table owner, without DROP POLICY: the policy goes with a new
-- function, readers see nothing (or, for a restrictive policy, more).
BEGIN;
CREATE FUNCTION app.newf() RETURNS boolean LANGUAGE sql AS 'SELECT true';
ALTER POLICY own ON app.secrets USING (app.newf());
DROP FUNCTION app.newf() CASCADE;
COMMIT;

-- (2) The owner of the objects marks them as depending on an extension.
ALTER MATERIALIZED VIEW app.totals DEPENDS ON EXTENSION hstore;
ALTER INDEX app.orders_amount DEPENDS ON EXTENSION hstore;
ALTER FUNCTION app.touch() DEPENDS ON EXTENSION hstore;
ALTER TRIGGER touch ON app.orders DEPENDS ON EXTENSION hstore;
RESET ROLE;
-- A DBA retires the extension no column uses, on purpose, without CASCADE.
BEGIN;
SELECT migrator.allow('DROP EXTENSION hstore', reason => 'no column uses hstore');
DROP EXTENSION hstore;
COMMIT;

-- A new session: everything is still there.
\c review_cascade
SELECT polname FROM pg_policy WHERE polrelid = 'app.secrets'::regclass;
SET ROLE review_cascade_reader;
SELECT count(*) AS visible FROM app.secrets;
RESET ROLE;
SELECT to_regclass('app.totals') AS totals, to_regclass('app.orders_amount') AS idx,
       to_regprocedure('app.touch()') AS fn,
       (SELECT count(*) FROM pg_trigger WHERE tgname = 'touch') AS triggers;
\c postgres
