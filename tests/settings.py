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
