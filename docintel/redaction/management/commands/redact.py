"""``manage.py redact [--jsonl] PATH... [--json] [--mode placeholder|pseudonym] [--profile P]`` (contract
§4; ``--profile clinical|contract`` is an addition: its default is the ``DOCINTEL_REDACTION_PROFILE`` setting,
``clinical`` unless a deployment says otherwise).

Per document: ``{"id", "redacted_text", "entities": [{"type", "start", "end", "score", "recognizer"}]}``,
offsets into the document's text (for TXT and JSONL exactly the input text). The engine and the
deployment's rules are loaded once; JSONL records are redacted in batches through one spaCy pipe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path

from docintel.cli import DocumentCommand, existing_paths, read_input_file
from docintel.errors import InputError
from docintel.parsing import read_document
from docintel.redaction.engine import PROFILES
from docintel.redaction.text import MODES, Redaction, load_rules, redact_many

BATCH = 32


@dataclass
class Item:
    id: str
    text: str = ""
    error: InputError | None = None


class Command(DocumentCommand):
    help = "Redact PHI/PII from PDF or text files, or from JSONL records of {id, text}."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("paths", nargs="+", help="files, or folders of files")
        parser.add_argument("--jsonl", action="store_true", help='inputs are JSONL files of {"id", "text"}')
        parser.add_argument("--mode", choices=MODES, default="placeholder")
        parser.add_argument(
            "--profile",
            choices=PROFILES,
            default=None,
            help="clinical: also redact capitalised words no list knows; contract: keep company names",
        )

    def handle(self, *args, **options) -> None:
        paths = existing_paths(options["paths"])
        items = self.records(paths) if options["jsonl"] else (self.document(path) for path in paths)
        rules = load_rules(options["profile"])
        ok = failed = 0
        while batch := list(islice(items, BATCH)):
            good = [item for item in batch if item.error is None]
            redactions = self.redact_batch(good, mode=options["mode"], rules=rules)
            output = partial(self.output, redactions=redactions)
            done, bad = self.run_each(
                batch,
                output,
                item_id=lambda item: item.id,
                as_json=options["json"],
                summarise=lambda r: f"{r['id']}: {len(r['entities'])} entities redacted",
            )
            ok, failed = ok + done, failed + bad
        self.finish(ok, failed)

    @staticmethod
    def redact_batch(items: list[Item], *, mode: str, rules) -> dict[int, Redaction | Exception]:
        """One spaCy pass for the batch; should it fail, each item alone, so only the bad one fails."""
        try:
            return dict(
                zip(
                    (id(i) for i in items),
                    redact_many([i.text for i in items], mode=mode, rules=rules),
                    strict=True,
                )
            )
        except Exception:
            results: dict[int, Redaction | Exception] = {}
            for item in items:
                try:
                    results[id(item)] = redact_many([item.text], mode=mode, rules=rules)[0]
                except Exception as error:
                    results[id(item)] = error
            return results

    @staticmethod
    def output(item: Item, *, redactions: dict) -> dict:
        if item.error:
            raise item.error
        redaction = redactions[id(item)]
        if isinstance(redaction, Exception):
            raise redaction
        return {"id": item.id, "redacted_text": redaction.redacted_text, "entities": redaction.entity_dicts()}

    def document(self, path: Path) -> Item:
        try:
            data, media_type = read_input_file(path)
            if media_type == "text/plain":
                try:  # exactly the input text, so offsets point into the file as it is
                    return Item(path.stem, data.decode("utf-8"))
                except UnicodeDecodeError:
                    pass
            return Item(path.stem, read_document(path, media_type).text)
        except InputError as error:
            return Item(path.stem, error=error)

    def records(self, paths: list[Path]) -> Iterator[Item]:
        for path in paths:
            try:
                with open(path, "rb") as handle:
                    for number, raw in enumerate(handle, 1):
                        if raw.strip():
                            yield self.record(raw, f"{path.stem}:{number}")
            except OSError:
                yield Item(path.stem, error=InputError("not_found", "cannot read the file"))

    @staticmethod
    def record(raw: bytes, fallback_id: str) -> Item:
        try:
            record = json.loads(raw.decode("utf-8"))
            text, record_id = record["text"], record.get("id", fallback_id)
            if not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):
            return Item(fallback_id, error=InputError("bad_record", 'not a UTF-8 JSON object {"id", "text"}'))
        return Item(str(record_id), text)
