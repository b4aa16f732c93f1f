"""``manage.py audit_sequencer [--once] [--json]``: place committed events in the Merkle tree.

Every server and worker process already runs the sequencer from a thread (one at a time holds the
lock); run this as a service of its own where a deployment prefers one, or ``--once`` from cron or a
script (a load test, a drill) to integrate everything committed so far.
"""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from audit import sequencer


class Command(BaseCommand):
    help = "Integrate committed audit events into the Merkle tree (forever, or --once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="integrate what is committed, then exit")
        parser.add_argument("--json", action="store_true", help="print what was done as one JSON object")

    def handle(self, *args, **options) -> None:
        if options["once"]:
            result = sequencer.integrate_now(full=True)
            summary = {"added": result.added, "tree_size": result.tree_size, "heads": len(result.heads)}
            self.stdout.write(json.dumps(summary) if options["json"] else
                              f"integrated {result.added} events; the tree has {result.tree_size} leaves")
            return
        rounds = 0
        while True:
            sequencer.integrate(full="recent" if rounds % sequencer.FULL_SCAN_EVERY == 0 else False)
            rounds += 1
            time.sleep(settings.AUDIT_INTEGRATE_EVERY_S)
