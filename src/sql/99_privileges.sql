-- migrator: nothing in schema migrator is usable by PUBLIC, whatever the
-- modules above created.  Grants for a deploy role: see the README.
REVOKE ALL ON ALL ROUTINES IN SCHEMA migrator FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA migrator FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA migrator FROM PUBLIC;
