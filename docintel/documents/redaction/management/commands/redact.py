"""``manage.py redact [--jsonl] PATH... [--json] [--mode placeholder|pseudonym]`` (contract §4).

Per document: ``{"id", "redacted_text", "entities": [{"type", "start", "end", "score", "recognizer"}]}``,
offsets into the document's text (for TXT and JSONL exactly the input text). The engine and the
deployment's rules are loaded once; JSONL records are redacted in batches through one spaCy pipe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from django.conf import settings

from docintel.cli import DocumentCommand, existing_paths
from docintel.documents.actions import media_type_for
from docintel.documents.parsing import parse_file
from docintel.documents.redaction.redact import MODES, load_rules, redact_many
from docintel.errors import InputError

BATCH = 32


@dataclass
class Item:
    id: str
    text: str | None = None
    error: InputError | None = None


class Command(DocumentCommand):
    help = "Redact PHI/PII from PDF or text files, or from JSONL records of {id, text}."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("paths", nargs="+", help="files, or folders of files")
        parser.add_argument("--jsonl", action="store_true", help='inputs are JSONL files of {"id", "text"}')
        parser.add_argument("--mode", choices=MODES, default="placeholder")

    def handle(self, *args, **options) -> None:
        paths = existing_paths(options["paths"])
        items = self.records(paths) if options["jsonl"] else (self.document(path) for path in paths)
        rules = load_rules()
        ok = failed = 0
        while batch := list(islice(items, BATCH)):
            good = [item for item in batch if item.error is None]
            redactions = dict(zip((id(item) for item in good), redact_many(
                [item.text for item in good], mode=options["mode"], rules=rules), strict=True))

            def output(item: Item) -> dict:
                if item.error:
                    raise item.error
                redaction = redactions[id(item)]
                return {"id": item.id, "redacted_text": redaction.redacted_text,
                        "entities": redaction.entity_dicts()}

            done, bad = self.run_each(batch, output, item_id=lambda item: item.id, as_json=options["json"],
                                      summarise=lambda r: f"{r['id']}: {len(r['entities'])} entities redacted")
            ok, failed = ok + done, failed + bad
        self.finish(ok, failed)

    def document(self, path: Path) -> Item:
        try:
            if not path.is_file():
                raise InputError("not_found", "no such file")
            if path.stat().st_size > settings.MAX_UPLOAD_MB * 1024 * 1024:
                raise InputError("file_too_large", f"the file is larger than {settings.MAX_UPLOAD_MB} MB")
            data = path.read_bytes()
            media_type = media_type_for(path.name, data[:8192])
            if media_type == "text/plain":
                try:  # exactly the input text, so offsets point into the file as it is
                    return Item(path.stem, data.decode("utf-8"))
                except UnicodeDecodeError:
                    pass
            return Item(path.stem, parse_file(path, media_type).text)
        except InputError as error:
            return Item(path.stem, error=error)

    def records(self, paths: list[Path]) -> Iterator[Item]:
        for path in paths:
            try:
                handle = open(path, encoding="utf-8")
            except OSError:
                yield Item(path.stem, error=InputError("not_found", "cannot open the file"))
                continue
            with handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    fallback = f"{path.stem}:{number}"
                    try:
                        record = json.loads(line)
                        text, record_id = record["text"], record.get("id", fallback)
                        if not isinstance(text, str):
                            raise TypeError
                    except (ValueError, KeyError, TypeError, AttributeError):
                        yield Item(fallback, error=InputError("bad_record", 'not a JSON object {"id", "text"}'))
                        continue
                    yield Item(str(record_id) if not isinstance(record_id, str | int) else record_id, text)
