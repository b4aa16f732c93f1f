"""Backup and restore drill, on SQLite and on PostgreSQL, through the real commands in subprocesses:
ingest, erase, back up (keys apart), restore into an empty database and data dir, audit_verify and
document reads; a document erased after the data backup is erased again from the newer key backup."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.ops.conftest import CLASSIFY, PARSE, base_environment
from tests.ops.services import manage

pytestmark = pytest.mark.drill  # subprocesses and fresh databases: minutes

NOTES = [f"Referral letter {i}. Assessment: stable angina. Plan: review in {i + 3} weeks.\n"
         for i in range(4)]


def server_url() -> str | None:
    """The PostgreSQL server of this test run (DATABASE_URL), without a database name."""
    url = os.environ.get("DATABASE_URL", "")
    return url.rsplit("/", 1)[0] if url.startswith("postgres") else None


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path):
    """Two empty deployments (``source`` and ``target``): their environments. The source's data dir is
    made as bin/setup makes it; the target's does not exist yet (a new machine: restore makes it)."""
    created = []
    envs = {}
    for role in ("source", "target"):
        data = tmp_path / role
        env = base_environment(DOCINTEL_DATA_DIR=str(data),
                               DOCINTEL_PIPELINE_STAGES=",".join([PARSE, CLASSIFY]))
        env.pop("DOCINTEL_SECRET_KEY")  # the data dir's own secret key file: backed up with the keys
        if request.param == "postgresql":
            server = server_url()
            if server is None:
                from tests.conftest import require_services

                require_services("DATABASE_URL")
            name = f"backup_{role}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            created.append(name)
            env["DATABASE_URL"] = f"{server}/{name}"
        envs[role] = env
    run(envs["source"], "init_data_dir")
    yield envs
    for name in created:
        with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(env: dict, *args: str):
    result = manage(env, *args)
    assert result.returncode == 0, f"manage.py {args[0]}: {result.stdout[-1500:]} {result.stderr[-3000:]}"
    return result


def lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_backup_restore_erase_again_and_verify(site, tmp_path):
    source, target = site["source"], site["target"]
    run(source, "migrate", "--noinput")
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, text in enumerate(NOTES):
        (inputs / f"letter-{i}.txt").write_text(text)
    ingested = lines(run(source, "ingest", *sorted(map(str, inputs.iterdir())), "--wait", "--json"))
    assert [d["status"] for d in ingested] == ["done"] * 4
    ids = [d["id"] for d in ingested]
    run(source, "erase_document", ids[0], "--reason", "GDPR request 2026-001")

    backup_dir, keys_dir = tmp_path / "backup", tmp_path / "keys-offsite"
    made = json.loads(run(source, "backup", str(backup_dir), "--keys-to", str(keys_dir), "--json").stdout)
    assert made["originals"]["count"] == 3 and made["keys_directory"] == str(keys_dir)
    assert not (backup_dir / "keys").exists()  # the keys are not next to the data
    assert {p.name for p in keys_dir.iterdir()} == {"audit_master_key", "audit_signing_key.pem",
                                                    "django_secret_key", "manifest.json"}
    assert oct((keys_dir / "audit_master_key").stat().st_mode & 0o777) == "0o600"

    # After the backup, another document is erased; the newer key backup knows it.
    run(source, "erase_document", ids[1], "--reason", "GDPR request 2026-002")
    newer_keys = tmp_path / "keys-newer"
    run(source, "backup", str(tmp_path / "backup-2"), "--keys-to", str(newer_keys))

    restored = json.loads(run(target, "restore", str(backup_dir), "--keys", str(newer_keys), "--json").stdout)
    assert restored["ok"] is True
    assert restored["audit"]["ok"] is True
    assert restored["documents"] == 4 and restored["originals"] == 3
    assert restored["erased_again"] == 1  # ids[1] was in the data backup, erased since
    assert restored["reads"] == {"checked": 2, "problems": []}
    data = Path(target["DOCINTEL_DATA_DIR"])
    assert oct(data.stat().st_mode & 0o777) == oct((data / "keys").stat().st_mode & 0o777) == "0o700"
    # With every system check (the data dir's modes and secret key among them) on what was restored:
    verify = json.loads(run(target, "audit_verify", "--json").stdout)
    assert verify["ok"] is True


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # engine-independent checks: SQLite only
def test_restore_refuses_a_target_that_is_not_empty_and_a_damaged_backup(site, tmp_path):
    source, target = site["source"], site["target"]
    run(source, "migrate", "--noinput")
    backup_dir = tmp_path / "backup"
    run(source, "backup", str(backup_dir))
    result = manage(source, "restore", str(backup_dir))
    assert result.returncode != 0
    assert "target_not_empty" in result.stderr and "Traceback" not in result.stderr
    refused = manage(source, "backup", str(backup_dir))  # never over an existing backup
    assert refused.returncode != 0 and "backup_dir_not_empty" in refused.stderr

    dump = backup_dir / "database.sqlite3"
    dump.chmod(0o600)
    with open(dump, "r+b") as handle:
        handle.seek(200)
        handle.write(b"\xff" * 16)
    result = manage(target, "restore", str(backup_dir))
    assert result.returncode != 0 and "backup_damaged" in result.stderr
    assert not (Path(target["DOCINTEL_DATA_DIR"]) / "originals").exists()  # nothing was restored
