"""``manage.py audit_verify [--json]``: recompute the whole chain and check the signed checkpoints.

Exit 0 when the log verifies; exit 1 naming the first bad sequence number. The result is itself
recorded (``audit.verified``), and the compliance page shows the last one.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from audit.actions import record_event
from audit.chain import verify_chain

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and signed checkpoints; exit 1 naming the first bad event."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        result = verify_chain()
        seconds = round(time.monotonic() - started, 3)
        if options["json"]:
            self.stdout.write(json.dumps({**result.as_dict(), "seconds": seconds}))
        elif result.ok:
            checkpoint = result.last_checkpoint
            self.stdout.write(
                f"OK: {result.count} events verify (1..{result.verified_up_to}), head {result.head_hash}; "
                f"{result.checkpoints} signed checkpoints"
                + (f", last at {checkpoint['size']} signed {checkpoint['time']}" if checkpoint else "")
                + f" ({seconds}s)")
        else:
            self.stderr.write(f"FAILED at event {result.first_bad_seq}: {result.error}")
        try:
            record_event("audit.verified", purpose="integrity check", details={
                "ok": result.ok, "verified_up_to": result.verified_up_to,
                "first_bad_seq": result.first_bad_seq, "head_hash": result.head_hash,
                "checkpoints": result.checkpoints, "seconds": seconds})
        except DatabaseError as error:  # a damaged log may refuse more events; the verdict stands
            log.warning("could not record the verification: %s", type(error).__name__)
        if not result.ok:
            sys.stdout.flush()
            sys.exit(1)
