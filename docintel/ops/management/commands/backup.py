"""``manage.py backup DIR [--keys-to KEYDIR] [--json]``: database, originals and keys (kept apart)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from docintel.errors import DocintelError
from docintel.ops.backup import backup


class Command(BaseCommand):
    help = ("Write a consistent backup: database dump and originals in DIR, keys in DIR/keys (or "
            "--keys-to): store the keys apart from the data.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path, help="a new or empty directory")
        parser.add_argument("--keys-to", type=Path, default=None,
                            help="write the keys here instead of DIR/keys (e.g. another medium)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        try:
            result = backup(options["directory"], keys_to=options["keys_to"])
        except DocintelError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        originals = result.manifest["originals"]
        engine, head = result.manifest["database"]["engine"], result.manifest["audit_head"]
        self.stdout.write(f"backup written to {result.directory} in {result.seconds}s: {engine} database, "
                          f"{originals['count']} originals, audit tree of {head['tree_size']} events "
                          f"(root {head['root_hash'][:16]}…)")
        self.stdout.write(f"keys written to {result.keys_directory}: store them apart from the data "
                          "(docs: deploy/README.md, Backup and restore)")
        if originals["missing"]:
            self.stdout.write(f"{len(originals['missing'])} originals were erased during the backup; "
                              "restore erases their documents again")
