-- docintel on PostgreSQL: two roles, run ONCE by a superuser:
--   psql -v owner_password="'…'" -v app_password="'…'" -f deploy/postgres/roles.sql postgres
--
-- docintel_owner owns the schema: it runs `manage.py migrate` and nothing else.
-- docintel_app is what the web server and the workers connect as (DATABASE_URL): it may read and
-- write the application's tables but can only SELECT and INSERT the audit log (see grants.sql), and
-- as it owns nothing it cannot ALTER, DISABLE TRIGGER, DROP or TRUNCATE anything.

CREATE ROLE docintel_owner LOGIN PASSWORD :owner_password;
CREATE ROLE docintel_app LOGIN PASSWORD :app_password NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
CREATE DATABASE docintel OWNER docintel_owner;

\connect docintel
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO docintel_owner;
GRANT USAGE ON SCHEMA public TO docintel_app;

-- Tables the owner creates later are open to the app for ordinary work; grants.sql then takes the
-- audit tables back to SELECT + INSERT.
ALTER DEFAULT PRIVILEGES FOR ROLE docintel_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO docintel_app;
ALTER DEFAULT PRIVILEGES FOR ROLE docintel_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO docintel_app;
