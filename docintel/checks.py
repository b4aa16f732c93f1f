"""Start-up checks of the deployment, and the one function that prepares a data directory.

Reading settings creates nothing (so importing them is safe anywhere); ``bin/setup`` runs
``manage.py init_data_dir`` once, and these checks say plainly when that has not happened.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core import checks

# Owner only: the data dir holds originals, document text (SQLite) and keys.
DIR_MODE = 0o700
FILE_MODE = 0o600


def prepare_data_dir(data_dir: Path, keys_dir: Path, secret_key_file: Path) -> Path:
    """Create the data dir and its key folder, and the embedded default's secret key unless one is
    configured (the settings' ``DATA_DIR``, ``KEYS_DIR``, ``SECRET_KEY_FILE``). Safe to run again:
    nothing that exists is changed."""
    for folder in (data_dir, keys_dir):
        folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        _owner_only(folder, DIR_MODE)
    # The embedded default's SQLite database holds document text and sessions: made owner-only before
    # Django first opens it (SQLite gives its journal and WAL files the database file's mode).
    database = _sqlite_file()
    if database is not None and database.parent == data_dir:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        _owner_only(database, FILE_MODE)
    secret = secret_key_file
    if not os.environ.get("DOCINTEL_SECRET_KEY") and not secret.exists():
        # O_EXCL: two processes preparing the same dir at once never write two different keys.
        with os.fdopen(os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "w") as out:
            out.write(secrets.token_urlsafe(50))
    return data_dir


def _owner_only(path: Path, mode: int) -> None:
    """Take group and world access away from something this account owns (an older install's data dir,
    a database made before this rule)."""
    if path.stat().st_uid == os.geteuid() and path.stat().st_mode & 0o077:
        path.chmod(mode)


def _sqlite_file() -> Path | None:
    database = settings.DATABASES["default"]
    if "sqlite" not in database["ENGINE"] or str(database["NAME"]).startswith(":memory:"):
        return None
    return Path(database["NAME"])


def _open_to_others(path: Path) -> bool:
    return path.exists() and bool(path.stat().st_mode & 0o077)


@checks.register(checks.Tags.compatibility)
def data_dir_ready(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    if not settings.DATA_DIR.is_dir():
        problems.append(checks.Error(
            f"the data directory {settings.DATA_DIR} does not exist",
            hint="run bin/setup, or manage.py init_data_dir", id="docintel.E001"))
    elif any(_open_to_others(path) for path in (settings.DATA_DIR, settings.KEYS_DIR, _sqlite_file())
             if path is not None):
        problems.append(checks.Error(
            f"the data directory {settings.DATA_DIR}, its keys or its database can be read by other accounts",
            hint="run manage.py init_data_dir (it makes them owner-only)", id="docintel.E003"))
    elif not settings.SECRET_KEY:
        problems.append(checks.Error(
            "no secret key: DOCINTEL_SECRET_KEY is unset and the data directory has none",
            hint="run manage.py init_data_dir, or set DOCINTEL_SECRET_KEY", id="docintel.E002"))
    return problems


@checks.register(checks.Tags.security)
def audit_witnesses_valid(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Witness URLs are fetched by the server: http(s) only, and never a file or another scheme."""
    return [checks.Error(f"DOCINTEL_AUDIT_WITNESS_URLS holds {url!r}, which is not an http(s) URL",
                         hint="give each witness as http(s)://host:port", id="docintel.E004")
            for url in settings.AUDIT_WITNESS_URLS if not url.lower().startswith(("http://", "https://"))]
