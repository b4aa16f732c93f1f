"""The database itself refuses to change or remove audit rows: SQL UPDATE, DELETE and TRUNCATE fail on
SQLite and PostgreSQL; in production the application role lacks even the privileges."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from audit.actions import record_event
from audit.chain import make_checkpoint
from tests.conftest import ROOT, require_services

CHANGES = ["UPDATE audit_auditevent SET action = 'edited.by_hand'",
           "DELETE FROM audit_auditevent WHERE seq = 1",
           "DELETE FROM audit_auditevent",
           "UPDATE audit_auditcheckpoint SET head_hash = 'x'"]


def _manage(data_dir, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DOCINTEL_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="docintel.settings")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=True)


def test_a_fresh_sqlite_database_rejects_changes_from_plain_sql(tmp_path):
    """The embedded default, set up like an operator would, then edited with the sqlite3 module."""
    _manage(tmp_path, "init_data_dir")
    _manage(tmp_path, "migrate", "--noinput")
    _manage(tmp_path, "audit_verify")  # records audit.verified: now there are rows to attack
    _manage(tmp_path, "audit_export", "--out", str(tmp_path / "log.jsonl"))  # and a checkpoint
    database = sqlite3.connect(tmp_path / "docintel.sqlite3")
    for statement in CHANGES:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            database.execute(statement)
    assert database.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] >= 2


@pytest.mark.django_db
def test_the_test_database_rejects_changes_from_plain_sql():
    event = record_event("document.viewed", document=uuid.uuid4())
    make_checkpoint(event.seq, event.hash, reason="test")
    statements = [*CHANGES, "TRUNCATE audit_auditevent"] if connection.vendor == "postgresql" else CHANGES
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
            app.execute("INSERT INTO audit_auditcheckpoint (size, head_hash, time, key_id, signature, "
                        "reason) VALUES (0, 'x', 'x', 'x', 'x', 'test')")
