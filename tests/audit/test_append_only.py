"""The database itself refuses to change or remove audit rows, every table of the log and every SQL verb
that can: UPDATE, DELETE, TRUNCATE, SQLite's INSERT OR REPLACE / REPLACE INTO, PostgreSQL's INSERT … ON
CONFLICT DO UPDATE. In production the application role lacks even the privileges."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from audit import sequencer
from audit.actions import record_event
from tests.conftest import ROOT, require_services

CHANGES = ["UPDATE audit_auditevent SET action = 'edited.by_hand'",
           "DELETE FROM audit_auditevent WHERE seq = (SELECT MIN(seq) FROM audit_auditevent)",
           "DELETE FROM audit_auditevent",
           "UPDATE audit_auditleaf SET event_seq = event_seq + 1000",
           "DELETE FROM audit_auditleaf",
           "UPDATE audit_audittreenode SET hash = hash",
           "DELETE FROM audit_audittreenode",
           "UPDATE audit_signedtreehead SET root_hash = 'x'",
           "DELETE FROM audit_signedtreehead",
           "UPDATE audit_auditsigningkey SET pem = 'x'",
           "DELETE FROM audit_auditsigningkey"]
# An insert that lands on an existing row and so replaces it (the copy takes the first row's keys).
SQLITE_REPLACES = [
    "INSERT OR REPLACE INTO audit_auditevent SELECT * FROM audit_auditevent ORDER BY seq LIMIT 1",
    "REPLACE INTO audit_auditleaf SELECT * FROM audit_auditleaf WHERE \"index\" = 0",
    "INSERT OR REPLACE INTO audit_audittreenode SELECT * FROM audit_audittreenode LIMIT 1",
    "INSERT OR REPLACE INTO audit_signedtreehead SELECT * FROM audit_signedtreehead LIMIT 1",
    "INSERT INTO audit_auditevent SELECT * FROM audit_auditevent ORDER BY seq LIMIT 1 "
    "ON CONFLICT (seq) DO UPDATE SET action = 'edited.by_hand'",
]
PG_UPSERTS = [
    "INSERT INTO audit_auditevent SELECT * FROM audit_auditevent ORDER BY seq LIMIT 1 "
    "ON CONFLICT (seq) DO UPDATE SET action = 'edited.by_hand'",
    "INSERT INTO audit_auditleaf SELECT * FROM audit_auditleaf WHERE \"index\" = 0 "
    "ON CONFLICT (\"index\") DO UPDATE SET event_seq = 0",
    "TRUNCATE audit_auditevent", "TRUNCATE audit_audittreenode", "TRUNCATE audit_signedtreehead",
]


def _manage(data_dir, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DOCINTEL_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="docintel.settings")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=True)


def test_a_fresh_sqlite_database_rejects_changes_from_plain_sql(tmp_path):
    """The embedded default, set up like an operator would, then edited with the sqlite3 module."""
    _manage(tmp_path, "init_data_dir")
    _manage(tmp_path, "migrate", "--noinput")
    for _ in range(3):  # each records audit.verified: rows to attack, and a tree with inner nodes
        _manage(tmp_path, "audit_verify")
    _manage(tmp_path, "audit_export", "--out", str(tmp_path / "log.jsonl"))  # a tree and a signed head
    database = sqlite3.connect(tmp_path / "docintel.sqlite3")
    for statement in [*CHANGES, *SQLITE_REPLACES]:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            database.execute(statement)
    assert database.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] >= 2


@pytest.mark.django_db
def test_the_test_database_rejects_changes_from_plain_sql():
    for _ in range(3):
        record_event("document.viewed", document=uuid.uuid4())
    sequencer.integrate_now()
    from audit import heads, tree

    heads.head_for(tree.size())
    statements = [*CHANGES, *(PG_UPSERTS if connection.vendor == "postgresql" else SQLITE_REPLACES)]
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement)


@pytest.mark.django_db
def test_the_application_role_holds_only_select_and_insert_on_the_log():
    require_services("DATABASE_URL")
    if connection.vendor != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    record_event("document.viewed", document=uuid.uuid4())
    db = connection.settings_dict
    params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "dbname": db["NAME"]}
    owner = {"user": db["USER"], "password": db["PASSWORD"] or None}
    with psycopg.connect(autocommit=True, **owner, **params) as admin:
        admin.execute("DO $$ BEGIN CREATE ROLE docintel_app LOGIN; "
                      "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        admin.execute((ROOT / "deploy" / "postgres" / "grants.sql").read_text())
    with psycopg.connect(user="docintel_app", autocommit=True, **params) as app:
        app.execute("SELECT count(*) FROM audit_auditevent")
        for statement in [*CHANGES, "TRUNCATE audit_auditevent",
                          "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
                          "SET session_replication_role = replica"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)
        with app.transaction(force_rollback=True):  # INSERT is allowed (rolled back: a test row)
            app.execute("INSERT INTO audit_signedtreehead (tree_size, root_hash, timestamp, key_id, "
                        "signature, reason) VALUES (0, 'x', 'x', 'x', 'x', 'test')")
            app.execute("SELECT nextval('audit_event_seq')")  # writers number their events


def test_the_no_replace_triggers_look_rows_up_by_unique_indexed_columns_only():
    """A column that is not unique cannot collide; one without an index makes every insert scan the table
    (the event's hash did, under SQLite's write lock)."""
    from django.apps import apps

    from audit.append_only import APPEND_ONLY_TABLES

    models = {model._meta.db_table: model for model in apps.get_app_config("audit").get_models()}
    for table, columns in APPEND_ONLY_TABLES.items():
        for column in columns:
            field = next(f for f in models[table]._meta.concrete_fields if f.column == column)
            assert field.primary_key or field.unique, f"{table}.{column}"
