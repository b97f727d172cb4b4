-- Touches a table that is not the extension's: refused.
TRUNCATE public.victim;
