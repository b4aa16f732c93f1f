"""``manage.py audit_verify [--json] [--witnessed HEAD.json]... [--public-key KEY.pem]...``: rebuild the
Merkle tree from the events and check it against every signed tree head and every witnessed head.

Exit 0 when the log verifies; exit 1 naming the first bad sequence number. The result is itself
recorded (``audit.verified``), and the compliance page starts from the last one.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from audit import sequencer, witnessing
from audit.actions import record_event
from audit.verify import verify_log

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = ("Verify the audit log: every event, the Merkle tree, the signed tree heads and the heads held "
            "by witnesses; exit 1 naming the first bad event.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--witnessed", type=Path, action="append", default=[],
                            help="a tree head kept outside the database (JSON), e.g. last quarter's")
        parser.add_argument("--public-key", type=Path, action="append", default=[],
                            help="trust only these public keys (PEM), not those the database lists")
        parser.add_argument("--nodes", action="store_true",
                            help="also compare every stored tree node with the rebuilt tree (slower)")

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        try:
            kept = [{"source": str(path), **json.loads(path.read_text())} for path in options["witnessed"]]
            pinned = [path.read_text() for path in options["public_key"]]
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read a witnessed head or key: {error}") from None
        sequencer.integrate_now(full=True)  # everything committed so far, in the tree, before the walk
        witnessed = [*witnessing.witnessed_heads(), *kept]
        result = verify_log(witnessed=[head for head in witnessed if "error" not in head], pinned_keys=pinned,
                            check_nodes=options["nodes"])
        unreachable = [head for head in witnessed if "error" in head]
        seconds = round(time.monotonic() - started, 3)
        if options["json"]:
            self.stdout.write(json.dumps({**result.as_dict(), "unreachable_witnesses": unreachable,
                                          "seconds": seconds}))
        elif result.ok:
            head = result.last_tree_head
            self.stdout.write(
                f"OK: {result.count} events in the tree verify, root {result.root_hash}; "
                f"{result.tree_heads} signed tree heads"
                + (f", last at {head['tree_size']} signed {head['timestamp']}" if head else "")
                + f"; {len(witnessed) - len(unreachable)} witnessed heads agree; {result.pending} pending"
                + f" ({seconds}s)")
            for head in unreachable:
                self.stderr.write(f"warning: witness {head['source']} {head['error']}")
        else:
            self.stderr.write(f"FAILED at event {result.first_bad_seq}: {result.error}")
        try:
            record_event("audit.verified", purpose="integrity check", details={
                "ok": result.ok, "verified_up_to": result.verified_up_to, "tree_size": result.tree_size,
                "root_hash": result.root_hash, "first_bad_seq": result.first_bad_seq, "error": result.error,
                "tree_heads": result.tree_heads, "witnessed": len(witnessed) - len(unreachable),
                "seconds": seconds})
        except DatabaseError as error:  # a damaged log may refuse more events; the verdict stands
            log.warning("could not record the verification: %s", type(error).__name__)
        if not result.ok:
            sys.stdout.flush()
            sys.exit(1)
