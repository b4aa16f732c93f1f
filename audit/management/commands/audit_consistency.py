"""``manage.py audit_consistency OLD NEW [--json]``: the proof that the tree of NEW leaves only grew from
the tree of OLD leaves, for ``python -m audit.verify_export --consistency FILE``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from audit.actions import record_event
from audit.proofs import ProofError, consistency_document


class Command(BaseCommand):
    help = "Print a Merkle consistency proof between two tree sizes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("old", type=int, help="the older tree size")
        parser.add_argument("new", type=int, help="the newer tree size")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        try:
            proof = consistency_document(options["old"], options["new"])
        except ProofError as error:
            raise CommandError(error.message) from None
        record_event("audit.proved", purpose="integrity check", details={
            "via": "command", "old_size": proof["old_size"], "new_size": proof["new_size"]})
        if options["json"]:
            self.stdout.write(json.dumps(proof))
        else:
            self.stdout.write(f"the tree of {proof['new_size']} leaves (root {proof['new_root']}) extends "
                              f"the "
                              f"tree of {proof['old_size']} (root {proof['old_root']}); --json for the proof")
