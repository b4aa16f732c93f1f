"""Finding 9: what docintel keeps on disk is readable by its own account only, whatever the umask:
the data dir 0700, the SQLite database (document text, sessions) and keys 0600, originals read-only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_manage(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    parse = next(entry for entry in settings.PIPELINE_STAGES if entry.split(":")[0].strip() == "parse")
    env.update(DJANGO_SETTINGS_MODULE="docintel.settings", DOCINTEL_DATA_DIR=str(data_dir),
               DOCINTEL_PIPELINE_STAGES=parse)
    env.pop("DOCINTEL_SECRET_KEY", None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, preexec_fn=lambda: os.umask(0o022))


def test_a_fresh_data_dir_is_private(tmp_path):
    data_dir = tmp_path / "var"
    sample = ROOT / "fixtures" / "samples" / "synthetic-discharge-note.txt"
    for args in (["init_data_dir"], ["migrate", "--noinput"], ["ingest", str(sample), "--wait", "--json"]):
        done = run_manage(data_dir, *args)
        assert done.returncode == 0, done.stdout + done.stderr

    assert mode(data_dir) == 0o700
    database = data_dir / "docintel.sqlite3"
    assert mode(database) == 0o600
    for path in data_dir.rglob("*"):
        if path.is_dir():
            assert mode(path) & 0o077 == 0, f"{path} is {oct(mode(path))}"
        elif path.parent.parent.name == "originals":
            assert mode(path) in (0o400, 0o440), f"{path} is {oct(mode(path))}"
        else:
            assert mode(path) & 0o077 == 0, f"{path} is {oct(mode(path))}"
    assert any((data_dir / "originals").rglob("*")), "the ingested original is missing"


def test_an_existing_loose_data_dir_is_refused_then_tightened(tmp_path):
    data_dir = tmp_path / "var"
    (data_dir / "keys").mkdir(parents=True)
    data_dir.chmod(0o755)
    (data_dir / "docintel.sqlite3").touch()
    (data_dir / "docintel.sqlite3").chmod(0o644)
    (data_dir / "keys" / "django_secret_key").write_text("k" * 60)
    refused = run_manage(data_dir, "check")
    assert refused.returncode != 0 and "init_data_dir" in refused.stderr
    done = run_manage(data_dir, "init_data_dir")
    assert done.returncode == 0, done.stdout + done.stderr
    assert mode(data_dir) == 0o700 and mode(data_dir / "docintel.sqlite3") == 0o600
    assert run_manage(data_dir, "check").returncode == 0
