"""``manage.py audit_prove SEQ [--tree-size N] [--json]``: event SEQ's inclusion proof against a signed
tree head, for ``python -m audit.verify_export --proof FILE``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from audit.actions import record_event
from audit.proofs import ProofError, inclusion_document


class Command(BaseCommand):
    help = "Print an event's Merkle inclusion proof against a signed tree head."

    def add_arguments(self, parser) -> None:
        parser.add_argument("seq", type=int, help="the event's sequence number")
        parser.add_argument("--tree-size", type=int, help="prove against the tree of this many leaves")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        try:
            proof = inclusion_document(options["seq"], options["tree_size"])
        except ProofError as error:
            raise CommandError(error.message) from None
        record_event("audit.proved", purpose="integrity check", details={
            "via": "command", "seq": proof["seq"], "tree_size": proof["tree_size"]})
        if options["json"]:
            self.stdout.write(json.dumps(proof))
        else:
            self.stdout.write(f"event {proof['seq']} is leaf {proof['leaf_index']} of the tree of "
                              f"{proof['tree_size']} leaves, root {proof['root_hash']} "
                              f"({len(proof['path'])} hashes in the path); --json for the proof")
