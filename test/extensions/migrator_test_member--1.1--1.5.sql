-- Drops its own function with CASCADE, which takes a user view along: refused.
DROP FUNCTION member_f() CASCADE;
