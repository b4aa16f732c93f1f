"""Exports of the log (JSONL or CSV) and their manifest, verifiable offline by ``audit.verify_export``.

A range is a contiguous run of events, so that its chain can be checked on its own: the manifest gives
the ``prev_hash`` the first event links to, the hash of the last, and a checkpoint over that last event
signed at export time, with the public key that checks it.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from docintel.csv_safety import neutral_row
from docintel.errors import InputError

from . import chain, keys
from .actions import record_event
from .canonical import EVENT_FIELDS, GENESIS_HASH
from .models import AuditEvent, format_time

FORMATS = ("jsonl", "csv")
MANIFEST_VERSION = 1


class EmptyRange(Exception):
    """No event falls in the requested time range."""


@dataclass(frozen=True)
class ExportRange:
    first_seq: int
    last_seq: int
    first_prev_hash: str
    head_hash: str
    since: datetime | None = None
    until: datetime | None = None

    @property
    def count(self) -> int:
        return self.last_seq - self.first_seq + 1


def plan_export(since: datetime | None = None, until: datetime | None = None) -> ExportRange:
    """Fix the range now, so that events appended while the file is written stay out of it."""
    seqs = chain.time_range_to_seqs(since, until)
    if seqs is None:
        raise EmptyRange("no audit events in that time range")
    first = AuditEvent.objects.values_list("prev_hash", flat=True).get(seq=seqs[0])
    last = AuditEvent.objects.values_list("hash", flat=True).get(seq=seqs[1])
    return ExportRange(seqs[0], seqs[1], first, last, since, until)


def _records(span: ExportRange) -> Iterator[dict]:
    """The range's events as records (``details`` still as its canonical JSON text)."""
    for row in chain.rows(span.first_seq - 1, span.last_seq):
        yield dict(zip(EVENT_FIELDS, row, strict=True))


def jsonl_lines(span: ExportRange) -> Iterator[str]:
    for record in _records(span):
        record["details"] = json.loads(record["details"])
        yield json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"


def csv_lines(span: ExportRange) -> Iterator[str]:
    """One row per event; ``details`` as its canonical JSON text, empty cells for null ids. Cells that a
    spreadsheet would run as formulas (a user name "=HYPERLINK(…)", a payload starting with "+") get an
    apostrophe in front (``docintel.csv_safety``); ``audit.verify_export`` removes it before hashing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EVENT_FIELDS)
    for record in _records(span):
        writer.writerow(neutral_row("" if record[name] is None else record[name] for name in EVENT_FIELDS))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def lines(span: ExportRange, export_format: str) -> Iterator[str]:
    if export_format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return jsonl_lines(span) if export_format == "jsonl" else csv_lines(span)


def manifest(span: ExportRange, export_format: str, *, filename: str, actor=None) -> dict:
    """The manifest, with a checkpoint over the range's last event signed now (and kept in the log)."""
    checkpoint = chain.make_checkpoint(span.last_seq, span.head_hash, reason="export")
    return {
        "manifest_version": MANIFEST_VERSION,
        "file": filename,
        "format": export_format,
        "exported_at": format_time(timezone.now()),
        "exported_by": getattr(actor, "username", "") or "system",
        "range": {"first_seq": span.first_seq, "last_seq": span.last_seq,
                  "since": span.since.isoformat() if span.since else None,
                  "until": span.until.isoformat() if span.until else None},
        "count": span.count,
        "first_prev_hash": span.first_prev_hash,
        "starts_at_genesis": span.first_seq == 1 and span.first_prev_hash == GENESIS_HASH,
        "head_hash": span.head_hash,
        "hash_algorithm": "sha256 over canonical JSON (sorted keys, no whitespace, ASCII) of every "
                          "field but hash",
        "checkpoint": checkpoint.as_dict(),
        "public_key": {"algorithm": "ed25519", "key_id": keys.signing_key_id(), "pem": keys.public_key_pem()},
        "verify_with": "python -m audit.verify_export FILE [--public-key KEY.pem]",
    }


def filename_for(span: ExportRange, export_format: str) -> str:
    return f"audit-{span.first_seq}-{span.last_seq}.{export_format}"


def zip_bundle(span: ExportRange, export_format: str, *, actor=None):
    """The export and its manifest in one zip (what a person downloads), as a temporary file."""
    name = filename_for(span, export_format)
    bundle = tempfile.TemporaryFile()  # noqa: SIM115  (handed to the response, which closes it)
    with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w", force_zip64=True) as member:
            for line in lines(span, export_format):
                member.write(line.encode("utf-8"))
        archive.writestr(f"{name}.manifest.json",
                         json.dumps(manifest(span, export_format, filename=name, actor=actor), indent=2))
    bundle.seek(0)
    return bundle


def export_response(request, since: datetime | None, until: datetime | None, export_format: str, *,
                    zipped: bool, via: str):
    """The export as a download (API and web page alike), recorded as ``audit.exported``."""
    try:
        span = plan_export(since, until)
    except EmptyRange as error:
        raise InputError("empty_range", str(error)) from None
    record_event("audit.exported", actor=request.user, purpose="audit export", details={
        "via": via, "format": export_format, "first_seq": span.first_seq, "last_seq": span.last_seq,
        "count": span.count, "head_hash": span.head_hash})
    name = filename_for(span, export_format)
    if zipped:
        return FileResponse(zip_bundle(span, export_format, actor=request.user), as_attachment=True,
                            filename=f"{name}.zip", content_type="application/zip")
    signed = manifest(span, export_format, filename=name, actor=request.user)
    response = StreamingHttpResponse(
        lines(span, export_format),
        content_type="application/x-ndjson" if export_format == "jsonl" else "text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Audit-Manifest"] = base64.b64encode(json.dumps(signed).encode()).decode()
    return response
