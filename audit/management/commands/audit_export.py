"""``manage.py audit_export --format jsonl|csv --out FILE [--since ISO] [--until ISO]``: write the
events and ``FILE.manifest.json``, which ``python -m audit.verify_export FILE`` checks offline."""

from __future__ import annotations

import json
import os
from datetime import UTC
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from audit import export
from audit.actions import record_event


def _moment(value: str | None, name: str):
    if not value:
        return None
    try:
        parsed = parse_datetime(value if "T" in value or " " in value else f"{value}T00:00:00")
    except ValueError:
        parsed = None
    if parsed is None:
        raise CommandError(f"--{name} must be an ISO 8601 date or time, not {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


class Command(BaseCommand):
    help = "Export audit events (JSONL or CSV) with a signed manifest, verifiable offline."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=export.FORMATS, default="jsonl")
        parser.add_argument("--out", required=True, help="file to write; FILE.manifest.json goes beside it")
        parser.add_argument("--since", help="first moment to include (ISO 8601; UTC unless it says)")
        parser.add_argument("--until", help="moment to stop before (ISO 8601)")
        parser.add_argument("--json", action="store_true", help="print the manifest as one JSON line")

    def handle(self, *args, **options) -> None:
        out = Path(options["out"])
        try:
            span = export.plan_export(_moment(options["since"], "since"), _moment(options["until"], "until"))
        except export.EmptyRange as error:
            raise CommandError(str(error)) from None
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial")
        with open(partial, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(export.lines(span, options["format"]))
        os.replace(partial, out)
        manifest = export.manifest(span, options["format"], filename=out.name)
        Path(f"{out}.manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        record_event("audit.exported", purpose="audit export", details={
            "format": options["format"], "first_leaf": span.first_leaf, "last_leaf": span.last_leaf,
            "count": span.count, "tree_size": span.head.tree_size, "root_hash": span.head.root_hash,
            "via": "command"})
        if options["json"]:
            self.stdout.write(json.dumps(manifest))
        else:
            self.stdout.write(f"wrote {span.count} events (leaves {span.first_leaf}..{span.last_leaf}) "
                              f"to {out} "
                              f"and {out}.manifest.json")
