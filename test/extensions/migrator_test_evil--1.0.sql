-- migrator test extension: creates one function, then drops a user table.
CREATE FUNCTION evil_f() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP TABLE public.victim;
