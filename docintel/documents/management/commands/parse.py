"""``manage.py parse PATH... --out DIR [--json]``: the text of each file into ``DIR/<stem>.txt``.

The same parser and OCR as the pipeline's parse and ocr stages (sandboxed, same limits), without storing
anything: for checking what docintel reads out of a file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.core.management.base import CommandError

from docintel.cli import DocumentCommand, existing_paths, read_input_file
from docintel.parsing import read_document


class Command(DocumentCommand):
    help = ("Extract the text of PDF, plain-text, Word and image files (OCR where a page has no text layer), "
            "with page count, sha256, warnings and the pages read by OCR.")

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("paths", nargs="+", help="files, or folders of files")
        parser.add_argument("--out", required=True, type=Path, help="folder for the <stem>.txt files")

    def handle(self, *args, **options) -> None:
        out: Path = options["out"]
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"cannot create the output folder {out}: {error.strerror}") from None

        def parse(path: Path) -> dict:
            data, media_type = read_input_file(path)
            parsed = read_document(path, media_type)
            (out / f"{path.stem}.txt").write_text(parsed.text, encoding="utf-8")
            return {"id": path.stem, "pages": parsed.pages, "chars": len(parsed.text),
                    "sha256": hashlib.sha256(data).hexdigest(), "warnings": parsed.warnings,
                    "ocr_pages": parsed.layout.get("ocr_pages", [])}

        def summarise(record: dict) -> str:
            codes = ", ".join(w["code"] for w in record["warnings"])
            return f"{record['id']}: {record['pages']} pages, {record['chars']} chars" + (
                f" ({codes})" if codes else "")

        paths = existing_paths(options["paths"])
        self.finish(*self.run_each(paths, parse, item_id=lambda path: path.stem, as_json=options["json"],
                                   summarise=summarise))
