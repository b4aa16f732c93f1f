"""``manage.py extraction_eval --schema contract LABELS.jsonl [--mode hybrid|model|rules] [--backend ...]``

Runs extraction over the labelled contracts (CUAD: ``labels.jsonl`` beside ``pdf/`` and ``txt/``) and
prints per-field accuracy and grounding precision. ``--mode embedded`` is ``model`` on the embedded
backend (the model alone).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import CommandError

from docintel.cli import DocumentCommand
from docintel.errors import DocintelError
from extraction.backends import BACKEND_NAMES, get_backend
from extraction.evaluation import Scores, contract_file, read_labels
from extraction.export import result_record
from extraction.extractor import MODES, extract
from extraction.management.commands.extract import read_text
from extraction.schemas import get_schema


class Command(DocumentCommand):
    help = "Score extraction against labelled contracts: per-field accuracy and grounding precision."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("labels", type=Path, help="labels.jsonl (CUAD columns per contract)")
        parser.add_argument("--schema", default="contract", choices=["contract"])
        parser.add_argument("--mode", choices=(*MODES, "embedded"), default="hybrid")
        parser.add_argument("--backend", choices=BACKEND_NAMES, default=None)
        parser.add_argument("--format", choices=("pdf", "txt"), default="pdf",
                            help="read the contracts' PDFs (as uploaded) or the corpus' reference text")
        parser.add_argument("--limit", type=int, default=0, help="only the first N contracts")

    def handle(self, *args, **options) -> None:
        if not options["labels"].is_file():
            raise CommandError(f"no labels file at {options['labels']}")
        mode, backend_name = options["mode"], options["backend"]
        if mode == "embedded":
            mode, backend_name = "model", "embedded"
        try:
            schema = get_schema(options["schema"])
            backend = None if mode == "rules" else get_backend(backend_name)
        except DocintelError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        contracts = read_labels(options["labels"])[:options["limit"] or None]
        scores = Scores()

        def run(contract: dict) -> dict:
            parsed = read_text(contract_file(options["labels"], contract["id"], options["format"]))
            started = time.monotonic()
            result = extract(parsed.text, schema, mode=mode, backend=backend,
                             page_offsets=parsed.page_offsets)
            record = result_record(contract["id"], result)
            scored = scores.add(record, contract["labels"], schema.schema, parsed.text)
            return {"id": contract["id"], "scores": scored, "valid": record["valid"],
                    "seconds": round(time.monotonic() - started, 2)}

        ok, failed = self.run_each(contracts, run, item_id=lambda c: c["id"], as_json=options["json"],
                                   summarise=lambda r: f"{r['id']}: {r['scores']} ({r['seconds']}s)")
        summary = {"mode": mode, "backend": backend.name if backend else None, "failed": failed,
                   **scores.summary()}
        if options["json"]:
            self.stdout.write(json.dumps({"summary": summary}))
        else:
            self.stdout.write(f"{summary['documents']} contracts, mode {mode}, {failed} failed")
            for name, accuracy in summary["field_accuracy"].items():
                self.stdout.write(f"  {name:<18} {accuracy:.3f}  (n={summary['field_counts'][name]})")
            self.stdout.write(f"  mean accuracy      {summary['mean_accuracy']}")
            self.stdout.write(f"  grounding precision {summary['grounding_precision']} "
                              f"({summary['grounded_spans']} spans, "
                              f"{summary['ungrounded_values']} ungrounded values)")
        self.finish(ok, failed)
