"""``manage.py extraction_eval --schema contract LABELS.jsonl [--mode hybrid|model|rules] [--backend ...]``

Runs extraction over the labelled contracts (CUAD: ``labels.jsonl`` beside ``pdf/`` and ``txt/``) and
prints per-field accuracy and grounding precision. ``--mode embedded`` is ``model`` on the embedded
backend (the model alone).
"""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path

from django.core.management.base import CommandError

from docintel.cli import DocumentCommand
from docintel.errors import DocintelError
from docintel.redaction.text import redact_text
from extraction.backends import BACKEND_NAMES, get_backend
from extraction.evaluation import Scores, contract_file, read_labels, score_clinical
from extraction.export import result_record
from extraction.extractor import MODES, extract
from extraction.management.commands.extract import read_text
from extraction.schemas import get_schema


class Command(DocumentCommand):
    help = "Score extraction against labelled contracts: per-field accuracy and grounding precision."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("labels", type=Path, help="labels.jsonl (CUAD columns per contract)")
        parser.add_argument("--schema", default="contract", choices=["contract", "clinical_note"],
                            help="contract: CUAD labels.jsonl; clinical_note: notes with known facts "
                                 "(fixtures/clinical_extraction/notes.jsonl)")
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
            backend = None if mode == "rules" else get_backend(backend_name, schema_name=schema.name)
        except DocintelError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        if schema.name == "clinical_note":
            self._clinical(options, schema, mode, backend)
            return
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

    def _clinical(self, options, schema, mode, backend) -> None:
        """Per-field scores on notes with known facts; every value checked for the note's identifiers."""
        notes = read_labels(options["labels"])[:options["limit"] or None]
        totals: dict[str, list[int]] = {}
        styles: dict[str, dict[str, list[int]]] = {}

        def run(note: dict) -> dict:
            redaction = cache(lambda: redact_text(note["text"]))
            result = extract(note["text"], schema, mode=mode, backend=backend,
                             redacted_text=lambda: redaction().redacted_text,
                             phi_entities=lambda: redaction().entity_dicts())
            scored = score_clinical(result.data, note)
            for measure, (right, total) in scored.items():
                for table in (totals, styles.setdefault(note.get("style", ""), {})):
                    counts = table.setdefault(measure, [0, 0])
                    counts[0] += right
                    counts[1] += total
            return {"id": note["id"], "scores": scored}

        ok, failed = self.run_each(notes, run, item_id=lambda n: n["id"], as_json=options["json"],
                                   summarise=lambda r: f"{r['id']}: {r['scores']}")

        def ratios(table: dict[str, list[int]]) -> dict[str, float | None]:
            return {m: round(r / t, 3) if t else None for m, (r, t) in sorted(table.items())}

        summary = {"schema": "clinical_note", "mode": mode, "notes": len(notes), "failed": failed,
                   "fields": ratios(totals), "counts": totals,
                   "by_style": {style: ratios(table) for style, table in sorted(styles.items())}}
        if options["json"]:
            self.stdout.write(json.dumps({"summary": summary}))
        else:
            self.stdout.write(f"{len(notes)} notes, mode {mode}, {failed} failed")
            for measure, value in summary["fields"].items():
                right, total = totals[measure]
                self.stdout.write(f"  {measure:<28} {value if value is not None else '-'}  ({right}/{total})")
        self.finish(ok, failed)
