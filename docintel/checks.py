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
    secret = secret_key_file
    if not os.environ.get("DOCINTEL_SECRET_KEY") and not secret.exists():
        # O_EXCL: two processes preparing the same dir at once never write two different keys.
        with os.fdopen(os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "w") as out:
            out.write(secrets.token_urlsafe(50))
    return data_dir


@checks.register(checks.Tags.compatibility)
def data_dir_ready(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    if not settings.DATA_DIR.is_dir():
        problems.append(checks.Error(
            f"the data directory {settings.DATA_DIR} does not exist",
            hint="run bin/setup, or manage.py init_data_dir", id="docintel.E001"))
    elif not settings.SECRET_KEY:
        problems.append(checks.Error(
            "no secret key: DOCINTEL_SECRET_KEY is unset and the data directory has none",
            hint="run manage.py init_data_dir, or set DOCINTEL_SECRET_KEY", id="docintel.E002"))
    return problems
