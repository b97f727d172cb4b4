-- ALTER COLUMN TYPE: "binary coercible" is wider than "cannot lose data or
-- change meaning".  Only lossless widenings run unplanned: varchar(n) to
-- text or a wider varchar, numeric precision up with the same scale, a
-- wider integer, a timestamp with more fractional digits.  Anything else
-- needs a migration or an allowance.
CREATE DATABASE migrator_guard_types;
\c migrator_guard_types
CREATE EXTENSION migrator;
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE DOMAIN short_text AS varchar(5);
CREATE TABLE t (
    d positive, i int, n numeric(10, 2), vc varchar(10), tx text,
    ts timestamp(0), s smallint, c char(4), x xml, sd short_text, cid cidr, w int
);
INSERT INTO t VALUES (1, 1, 1.25, 'abc', 'abc', '2026-01-01', 1, 'ab', '<a/>', 'abc', '10.0.0.0/8', 1);
\set VERBOSITY terse

-- Attack: binary coercible but not lossless.
ALTER TABLE t ALTER COLUMN d TYPE int;             -- the domain's CHECK is gone
ALTER TABLE t ALTER COLUMN i TYPE oid;             -- arithmetic and comparison change
ALTER TABLE t ALTER COLUMN i TYPE regclass;        -- reads as a relation
ALTER TABLE t ALTER COLUMN sd TYPE varchar;        -- the domain goes
ALTER TABLE t ALTER COLUMN x TYPE text;            -- no longer xml
ALTER TABLE t ALTER COLUMN cid TYPE inet;          -- another type's operators
-- Attack: not lossless at all.
ALTER TABLE t ALTER COLUMN n TYPE numeric(12, 1);  -- scale down rounds
ALTER TABLE t ALTER COLUMN n TYPE numeric(8, 2);   -- precision down
ALTER TABLE t ALTER COLUMN vc TYPE varchar(5);     -- shorter
ALTER TABLE t ALTER COLUMN c TYPE text;            -- trailing blanks dropped
ALTER TABLE t ALTER COLUMN i TYPE numeric;         -- 5 / 2 is 2.5 from now on
ALTER TABLE t ALTER COLUMN ts TYPE timestamptz;    -- meaning depends on TimeZone
ALTER TABLE t ALTER COLUMN s TYPE int USING s * 2; -- USING rewrites values
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum;

-- Lossless widenings run (some rewrite the table: a lint hazard, not loss).
ALTER TABLE t ALTER COLUMN vc TYPE varchar(20);
ALTER TABLE t ALTER COLUMN tx TYPE varchar;
ALTER TABLE t ALTER COLUMN vc TYPE text;
ALTER TABLE t ALTER COLUMN n TYPE numeric(14, 2);
ALTER TABLE t ALTER COLUMN n TYPE numeric;
ALTER TABLE t ALTER COLUMN s TYPE int;
ALTER TABLE t ALTER COLUMN s TYPE bigint;
ALTER TABLE t ALTER COLUMN i TYPE bigint;
ALTER TABLE t ALTER COLUMN ts TYPE timestamp(3);
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum;

-- What register() and lint() say: int to bigint is no destructive
-- change, but a rewrite; int to oid is destructive.
SELECT rule, severity FROM migrator.lint('ALTER TABLE t ALTER COLUMN s TYPE numeric') ORDER BY 1;
SELECT rule, severity FROM migrator.lint('ALTER TABLE t ALTER COLUMN d TYPE int') ORDER BY 1;
SELECT rule, severity FROM migrator.lint('ALTER TABLE t ALTER COLUMN vc TYPE varchar(30)') ORDER BY 1;
SELECT rule, severity FROM migrator.lint('ALTER TABLE t ALTER COLUMN w TYPE bigint') ORDER BY 1;
