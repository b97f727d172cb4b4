-- Renames its own function, there and back: exempt by the function's
-- address (the exemption once looked at relations only).
ALTER FUNCTION member_f() RENAME TO member_f_renamed;
ALTER FUNCTION member_f_renamed() RENAME TO member_f;
