"""Settings for the test suite: docintel's own settings, on a throw-away data dir."""

import os
import tempfile

os.environ.setdefault("DOCINTEL_DATA_DIR", tempfile.mkdtemp(prefix="docintel-test-"))

from docintel.settings import *  # noqa: F403

# Hashing passwords slowly protects real users, not test fixtures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
