"""Settings for the test suite: docintel's own settings, on a throw-away data dir."""

import os
import tempfile

os.environ.setdefault("DOCINTEL_DATA_DIR", tempfile.mkdtemp(prefix="docintel-test-"))

from docintel.checks import prepare_data_dir
from docintel.settings import *  # noqa: F403

# The data dir as bin/setup leaves it: worker and server subprocesses read its secret key.
prepare_data_dir(DATA_DIR, KEYS_DIR, SECRET_KEY_FILE)  # noqa: F405
SECRET_KEY = os.environ.get("DOCINTEL_SECRET_KEY") or SECRET_KEY_FILE.read_text().strip()  # noqa: F405

# Hashing passwords slowly protects real users, not test fixtures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# On SQLite the test database is a file in that data dir, as the embedded default's database is, not
# Django's shared in-memory one: that answers "database table is locked" at once when two threads meet
# (the in-process task runner and the test, model requests sent concurrently), where a file in WAL mode
# waits for the lock (OPTIONS' timeout) as production does.
if "sqlite" in DATABASES["default"]["ENGINE"]:  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
