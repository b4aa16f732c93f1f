#!/usr/bin/env python3
"""Bring up docintel on several (namespace) hosts, lose a worker host and a model host mid-batch, check
that every document finished exactly once and the audit log verifies, and clean everything up.

    sudo .venv/bin/python deploy/multihost/demo.py [--documents 6] [--model-hosts 2]

Exit 0 when every check passed; the report is printed as JSON. See README.md beside this file.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docintel.settings")

from tests.ops.multihost import main  # noqa: E402 - after the path is set

if __name__ == "__main__":
    sys.exit(main())
