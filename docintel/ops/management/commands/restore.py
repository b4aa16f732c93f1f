"""``manage.py restore DIR [--keys KEYDIR] [--sample N] [--json]``: into an empty database and data
dir, then ``audit_verify`` and a sample of document reads. Exit 1 when either check fails."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from docintel.errors import DocintelError
from docintel.ops.backup import restore


class Command(BaseCommand):
    help = ("Restore a backup into an empty database and data dir, erase again what was erased after it, "
            "then verify the audit log and read back a sample of documents.")
    # Like init_data_dir, this command makes the data dir (owner-only, in restore()) that a new machine
    # does not have yet, so the data-dir checks (docintel.E001-E003), which would refuse to start, are not
    # run first; every later command runs them on what was restored.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path, help="a directory written by manage.py backup")
        parser.add_argument("--keys", type=Path, default=None,
                            help="the key backup to use (default DIR/keys); the newest one is best")
        parser.add_argument("--sample", type=int, default=20, help="documents to read back (default 20)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        try:
            result = restore(options["directory"], keys_from=options["keys"], sample=options["sample"])
        except DocintelError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
        else:
            audit = result.audit
            self.stdout.write(
                f"restored {result.documents} documents and {result.originals} originals in "
                f"{result.seconds}s; erased again: {result.erased_again}")
            self.stdout.write(f"audit_verify: {'OK' if audit.get('ok') else 'FAILED'} "
                              f"({audit.get('count')} events{'' if audit.get('ok') else ', ' + str(audit)})")
            self.stdout.write(f"document reads: {result.reads['checked']} checked, "
                              f"{len(result.reads['problems'])} problems")
            for problem in result.reads["problems"]:
                self.stdout.write(f"  {problem}")
        if not result.ok:
            sys.exit(1)
