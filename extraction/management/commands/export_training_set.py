"""``manage.py export_training_set --schema NAME --out FILE.jsonl [--corrected-only] [--original]``

Writes the reviewed extractions of one schema as chat-format JSONL for LoRA fine-tuning
(``deploy/finetune/``): each line the exact prompt docintel sends for a window of the document's
redacted text, and the answer as reviewers left it. Reading document text for it is audited: one
``extraction.training_exported`` event per document, and one for the export as a whole (with the
file's sha256), written in the transaction that finishes the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.actions import record_event
from docintel.errors import DocintelError
from extraction.json_schema import schema_text
from extraction.learning import EXAMPLE_CHARS, chat_record, examples
from extraction.schemas import get_schema


class Command(BaseCommand):
    help = "Export reviewed extractions of a schema as chat JSONL for fine-tuning (redacted text)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", required=True)
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--corrected-only", action="store_true",
                            help="leave out extractions that reviewers only confirmed")
        parser.add_argument("--original", action="store_true",
                            help="use the original text (needs DOCINTEL_TRAINING_SEES_ORIGINAL=1)")
        parser.add_argument("--window", type=int, default=EXAMPLE_CHARS,
                            help="characters of text per example")
        parser.add_argument("--json", action="store_true", help="print a summary as one JSON line")

    def handle(self, *args, **options) -> None:
        from django.conf import settings

        if options["original"] and not settings.TRAINING_SEES_ORIGINAL:
            raise CommandError("training data from original text needs DOCINTEL_TRAINING_SEES_ORIGINAL=1")
        try:
            schema = get_schema(options["schema"])
        except DocintelError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        out: Path = options["out"]
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial")
        sees = "original" if options["original"] else "redacted"
        digest, lines, corrected = hashlib.sha256(), 0, 0
        with transaction.atomic():
            with partial.open("w", encoding="utf-8") as handle:
                for example in examples(schema.name, include_confirmed=not options["corrected_only"],
                                        sees_original=options["original"], window=options["window"]):
                    line = schema_text(chat_record(schema, example)) + "\n"
                    handle.write(line)
                    digest.update(line.encode())
                    lines += 1
                    corrected += example.corrected
                    record_event("extraction.training_exported", document=example.document,
                                 purpose="model training", details={
                                     "schema": schema.name, "extraction_id": example.extraction.pk,
                                     "text": sees, "corrected_fields": example.corrected})
            record_event("extraction.training_set_exported", purpose="model training", details={
                "schema": schema.name, "schema_version": schema.version, "examples": lines,
                "corrected_fields": corrected, "text": sees, "sha256": digest.hexdigest()})
            os.replace(partial, out)
        summary = {"schema": schema.name, "examples": lines, "corrected_fields": corrected, "text": sees,
                   "out": str(out), "sha256": digest.hexdigest()}
        self.stdout.write(json.dumps(summary) if options["json"] else
                          f"wrote {lines} examples ({corrected} corrected fields, {sees} text) to {out}")
