-- Database and roles of dangjian (docs/operations.md §8.2). Run ONCE, as the postgres superuser:
--   sudo -u postgres psql -v db=dangjian -v owner=dangjian_owner -v app=dangjian_app \
--     -v owner_password="$OWNER_PASSWORD" -v app_password="$APP_PASSWORD" -f scripts/ops/postgres-roles.sql
-- owner: owns the schema and every table; runs migrations and backups. app: gunicorn and Celery, DML only.
\set ON_ERROR_STOP on
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
\connect :"db"
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- tables and sequences that later migrations create get the app's DML grants at once; the audit
-- revoke still needs postgres-grants.sql after every migrate
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app";
