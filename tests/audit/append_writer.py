"""A separate process that appends audit events as fast as it can (used by the concurrency test).

    python tests/audit/append_writer.py WRITER_ID COUNT DOCUMENT_ID START_FILE

Waits for START_FILE to exist so that every writer starts at once; each event is its own transaction;
every third event carries an encrypted payload of the one shared document (all writers race to make
its data key).
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docintel.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402

from audit.actions import record_event  # noqa: E402


def main(writer: str, count: int, document_id: str, start_file: str) -> None:
    while not os.path.exists(start_file):
        time.sleep(0.01)
    for number in range(count):
        with transaction.atomic():
            record_event("test.concurrent_append", document=document_id,
                         details={"writer": writer, "n": number},
                         sensitive={"n": number} if number % 3 == 0 else None)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
