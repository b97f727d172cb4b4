-- Drops a function that is not the extension's: refused.
DROP FUNCTION public.user_f();
