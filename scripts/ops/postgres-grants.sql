-- The app role's privileges (docs/operations.md §8.2). Run as the OWNER role after EVERY migrate:
--   psql "$OWNER_DATABASE_URL" -v app=dangjian_app -f scripts/ops/postgres-grants.sql
-- DML on every table, and only INSERT/SELECT on the audit log (PII-007: audit rows are append-only).
\set ON_ERROR_STOP on
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_auditevent FROM :"app";
