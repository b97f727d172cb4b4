-- Touches a table that is not the extension's: refused.
ALTER TABLE public.victim DROP COLUMN v;
