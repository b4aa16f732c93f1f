"""Database triggers that make the audit tables append-only: UPDATE, DELETE and TRUNCATE are rejected by
the database itself, whoever sends them (the ORM, a shell, a SQL console).

The production guarantee has two layers (``deploy/postgres/``): these triggers, and an application role
that holds only SELECT and INSERT on these tables. Only the tables' owner can disable or drop the
triggers; the test suite does so, as the owner, to flush its throw-away database (``tests/audit_flush.py``).
"""

from __future__ import annotations

# Each append-only table, with the columns that identify a row. On SQLite, ``INSERT OR REPLACE`` (and
# ``REPLACE INTO``) deletes the row it collides with without firing DELETE triggers (recursive triggers
# are off by default), so a BEFORE INSERT trigger refuses any insert that names an existing row.
# PostgreSQL's ``INSERT … ON CONFLICT DO UPDATE`` fires the UPDATE trigger and is refused by it.
# Only unique columns can collide, and each has an index: a column without one would make every insert
# scan the table (version 1 listed the event's hash, unique then; not since the tree, and it cost a
# SQLite append 5-13 ms at 15,000 events, growing with the log).
LOG_V1_TABLES = {"audit_auditevent": ("seq",), "audit_auditcheckpoint": ("id",)}
TREE_TABLES = {"audit_auditleaf": ("index", "event_seq"), "audit_audittreenode": ("node_id",),
               "audit_signedtreehead": ("id",), "audit_witnesscosignature": ("id",),
               "audit_auditsigningkey": ("key_id",)}
APPEND_ONLY_TABLES = {**LOG_V1_TABLES, **TREE_TABLES}
MESSAGE = "the audit log is append-only"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % on % rejected', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _postgresql_statements(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION audit_reject_change()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change()",
    ]


def _sqlite_statements(table: str) -> list[str]:
    # SQLite has no TRUNCATE: "DELETE FROM t" is its truncate, and a DELETE trigger turns that off.
    statements = [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} on {table} rejected'); END"
        for operation in ("UPDATE", "DELETE")
    ]
    return [*statements, _sqlite_no_replace(table)]


def _sqlite_no_replace(table: str) -> str:
    collides = " OR ".join(f'"{column}" = NEW."{column}"' for column in APPEND_ONLY_TABLES[table])
    return (f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {collides}) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: INSERT over an existing row of {table} rejected'); END")


def replace_trigger_sql(table: str) -> list[str]:
    """SQLite: the statements that re-create ``table``'s no-replace trigger with today's columns."""
    return [f"DROP TRIGGER IF EXISTS {table}_no_replace", _sqlite_no_replace(table)]


def protect(connection, tables=APPEND_ONLY_TABLES) -> None:
    """Create the triggers (migrations 0002 and 0004)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            for table in tables:
                for statement in _postgresql_statements(table):
                    cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for table in tables:
                for statement in _sqlite_statements(table):
                    cursor.execute(statement)
        else:
            raise NotImplementedError(f"no append-only triggers for {connection.vendor}")


def unprotect(connection, tables=APPEND_ONLY_TABLES, *, drop_function: bool = True) -> None:
    """Drop the triggers (reversing the migration)."""
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            else:
                for operation in ("update", "delete", "replace"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
        if connection.vendor == "postgresql" and drop_function:
            cursor.execute("DROP FUNCTION IF EXISTS audit_reject_change()")


def set_enforced(connection, enforced: bool) -> None:
    """Owner-only switch for throw-away databases (the test suite's flush): PostgreSQL keeps the
    triggers and disables them (``ALTER TABLE`` needs ownership); SQLite drops and re-creates them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in APPEND_ONLY_TABLES:
                cursor.execute(f"ALTER TABLE {table} {'ENABLE' if enforced else 'DISABLE'} TRIGGER USER")
    elif enforced:
        protect(connection)
    else:
        unprotect(connection)
