"""``manage.py extract --schema NAME PATH... [--json] [--backend embedded|openai]`` (contract §4).

Reads PDF/TXT files with the pipeline's parser and prints one extraction record per file: data valid
for the schema, every value grounded to character offsets of the parsed text (``[]`` when the text does
not support it). No document is stored; every model call is still in the audit log (hashes only).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.core.management.base import CommandError

from docintel.cli import DocumentCommand, existing_paths, read_input_file
from docintel.errors import DocintelError, InputError
from docintel.parsing import read_document
from docintel.redaction.actions import profile_for_kind
from docintel.redaction.text import load_rules, redact_text
from extraction.backends import BACKEND_NAMES, get_backend
from extraction.export import result_record
from extraction.extractor import MODES, extract
from extraction.schemas import get_schema


def read_text(path: Path):
    """The text of a file as the pipeline's parse and ocr stages would read it."""
    _, media_type = read_input_file(path)
    parsed = read_document(path, media_type)
    if not parsed.text.strip():
        raise InputError("no_text", "the file has no text to extract from")
    return parsed


class Command(DocumentCommand):
    help = "Extract schema fields from PDF/TXT files, grounded to character offsets of their text."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("paths", nargs="+", help="files, or folders of files")
        parser.add_argument("--schema", required=True, help="contract, clinical_note or a custom schema")
        parser.add_argument("--backend", choices=BACKEND_NAMES, default=None,
                            help="first-line model (default: openai with DOCINTEL_LLM_URL, else embedded)")
        parser.add_argument("--mode", choices=MODES, default="hybrid",
                            help="hybrid (rules + model + escalation), model only, or rules only")

    def handle(self, *args, **options) -> None:
        try:
            schema = get_schema(options["schema"])
            backend = (None if options["mode"] == "rules"
                       else get_backend(options["backend"], schema_name=schema.name))
        except DocintelError as error:
            raise CommandError(f"{error.code}: {error.message}") from None

        def run(path: Path) -> dict:
            parsed = read_text(path)
            # At most once, for both uses; a built-in schema names the kind of document, hence the profile.
            rules = load_rules(profile_for_kind(schema.name))
            redaction = cache(lambda: redact_text(parsed.text, rules=rules))
            result = extract(parsed.text, schema, mode=options["mode"], backend=backend,
                             page_offsets=parsed.page_offsets,
                             redacted_text=lambda: redaction().redacted_text,
                             phi_entities=lambda: redaction().entity_dicts())
            return result_record(path.stem, result)

        def summarise(record: dict) -> str:
            grounded = sum(1 for spans in record["grounding"].values() if spans)
            flagged = len(record["grounding"]) - grounded
            state = "valid" if record["valid"] else "INVALID"
            return (f"{record['id']}: {state}, {grounded} value(s) grounded, {flagged} ungrounded, "
                    f"model {record['model']}")

        paths = existing_paths(options["paths"])
        self.finish(*self.run_each(paths, run, item_id=lambda path: path.stem, as_json=options["json"],
                                   summarise=summarise))
