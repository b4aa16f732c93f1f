-- Run as docintel_owner (or a superuser) after EVERY `manage.py migrate`:
--   psql "$OWNER_DATABASE_URL" -v ON_ERROR_STOP=1 -f deploy/postgres/grants.sql
-- Idempotent. The audit log is append-only twice over: triggers reject UPDATE, DELETE and TRUNCATE
-- (migrations audit.0002 and 0004), and the application role does not even hold those privileges.

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO docintel_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO docintel_app;

REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON audit_auditevent, audit_auditcheckpoint, audit_auditleaf, audit_audittreenode, audit_signedtreehead,
       audit_witnesscosignature, audit_auditsigningkey FROM docintel_app;
-- Writers number events from this sequence; nobody but the owner may move it back.
REVOKE UPDATE ON SEQUENCE audit_event_seq FROM docintel_app;
-- Data keys: the app makes them and destroys them (GDPR erasure empties the key); never deletes rows,
-- so that an erased document can never get a new key.
REVOKE DELETE, TRUNCATE ON audit_documentkey FROM docintel_app;
-- Nobody but the owner may run migrations' bookkeeping.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON django_migrations FROM docintel_app;
