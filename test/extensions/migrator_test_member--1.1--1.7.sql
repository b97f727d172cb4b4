-- Renames a function that is not the extension's: refused.
ALTER FUNCTION public.user_f() RENAME TO user_f_renamed;
