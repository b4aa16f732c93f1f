"""What every docintel command shares (contract §4): JSON lines with ``--json``, one bad file reported
as ``{"id", "error": {"code", "message"}}`` without stopping the others, exit 1 only when the command as
a whole failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from docintel.errors import DocintelError, FileTooLarge, InputError
from docintel.parsing import detect_media_type

T = TypeVar("T")


class DocumentCommand(BaseCommand):
    """A command that handles many inputs, each independently."""

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON object per line on stdout")

    def emit(self, record: dict, *, as_json: bool, summary: str = "") -> None:
        if as_json:
            self.stdout.write(json.dumps(record, ensure_ascii=False))
        elif "error" in record:
            self.stderr.write(f"{record['id']}: {record['error']['code']}: {record['error']['message']}")
        else:
            self.stdout.write(summary or json.dumps(record, ensure_ascii=False))

    def run_each(self, items: Iterable[T], handle: Callable[[T], dict], *, item_id: Callable[[T], str],
                 as_json: bool, summarise: Callable[[dict], str] | None = None) -> tuple[int, int]:
        """Run ``handle`` on each item; report errors per item. Returns (succeeded, failed)."""
        ok = failed = 0
        for item in items:
            try:
                record = handle(item)
                ok += 1
                self.emit(record, as_json=as_json, summary=summarise(record) if summarise else "")
            except DocintelError as error:
                failed += 1
                self.emit({"id": item_id(item), "error": error.as_dict()}, as_json=as_json)
            except Exception as error:  # one broken file must not stop the batch; no message (PHI)
                failed += 1
                error_body = {"code": "internal_error", "message": f"unexpected {type(error).__name__}"}
                self.emit({"id": item_id(item), "error": error_body}, as_json=as_json)
        return ok, failed

    def finish(self, ok: int, failed: int) -> None:
        """Exit non-zero only when nothing succeeded (the command as a whole failed)."""
        sys.stdout.flush()
        if failed and not ok:
            raise CommandError(f"all {failed} input(s) failed")


def read_input_file(path: Path) -> tuple[bytes, str]:
    """The bytes of a file named on the command line and its media type, refused as an upload would be:
    missing, larger than MAX_UPLOAD_MB, or of a type docintel does not read."""
    if not path.is_file():
        raise InputError("not_found", "no such file")
    if path.stat().st_size > settings.MAX_UPLOAD_BYTES:
        raise FileTooLarge(message=f"the file is larger than {settings.MAX_UPLOAD_MB} MB")
    data = path.read_bytes()
    return data, detect_media_type(path.name, data[:8192])


def existing_paths(paths: Iterable[str]) -> list[Path]:
    result = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            result.extend(sorted(p for p in path.iterdir() if p.is_file()))
        else:
            result.append(path)
    return result
