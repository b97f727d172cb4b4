-- migrator 0.2 -> 0.3.
--
-- Every change to src/sql/ made for 0.3 is made here too, in the same
-- order and column order, so that an updated installation equals a fresh
-- one (test/t/016_upgrade.pl compares them object by object).

\echo Use "ALTER EXTENSION migrator UPDATE TO '0.3'" to load this file. \quit
