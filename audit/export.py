"""Exports of the log (JSONL or CSV) and their manifest, verifiable offline by ``audit.verify_export``.

An export is a contiguous run of leaves of the Merkle tree, in tree order. Its manifest carries a tree
head signed at export time, the hashes of the subtrees left and right of the run (the *frame*: with the
exported events they fold to the head's root), and every public key the log has signed with. So an
auditor checks, with nothing but the files, that each event is unaltered and that the run is exactly
the one the signed tree holds: nothing left out, added or reordered.
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

from django.db.models import Max, Min
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from docintel.csv_safety import neutral_row
from docintel.errors import InputError

from . import heads, keys, sequencer, tree
from .actions import record_event
from .canonical import EVENT_FIELDS
from .entries import EVENT_AT, leaf_rows
from .models import AuditEvent, AuditLeaf, SignedTreeHead, format_time

FORMATS = ("jsonl", "csv")
MANIFEST_VERSION = 2


class EmptyRange(Exception):
    """No event falls in the requested time range."""


@dataclass(frozen=True)
class ExportRange:
    first_leaf: int
    last_leaf: int
    head: SignedTreeHead
    since: datetime | None = None
    until: datetime | None = None

    @property
    def count(self) -> int:
        return self.last_leaf - self.first_leaf + 1


def plan_export(since: datetime | None = None, until: datetime | None = None) -> ExportRange:
    """Fix the range now, against a head signed now: events appended later stay out of it. The range
    runs from the first leaf whose event is at or after ``since`` to the last before ``until``."""
    sequencer.integrate_now()
    leaves = AuditLeaf.objects.all()
    if since or until:
        events = AuditEvent.objects.all()
        if since:
            events = events.filter(time__gte=since)
        if until:
            events = events.filter(time__lt=until)
        leaves = leaves.filter(event_seq__in=events.values("seq"))
    bounds = leaves.aggregate(first=Min("index"), last=Max("index"))
    if bounds["first"] is None:
        raise EmptyRange("no audit events in that time range")
    size = tree.size()
    return ExportRange(bounds["first"], bounds["last"], heads.head_for(size, reason="export"), since, until)


def _rows(span: ExportRange) -> Iterator[tuple]:
    for row in leaf_rows(span.first_leaf, span.last_leaf + 1):
        if row[EVENT_AT] is None:  # a deleted event: the export cannot be whole; audit_verify names it
            raise InputError("log_damaged", "an event of this range is missing; run manage.py audit_verify")
        yield row[EVENT_AT:]


def jsonl_lines(span: ExportRange) -> Iterator[str]:
    for row in _rows(span):
        record = dict(zip(EVENT_FIELDS, row, strict=True))
        record["details"] = json.loads(record["details"])
        yield json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"


def csv_lines(span: ExportRange) -> Iterator[str]:
    """One row per event; ``details`` as its canonical JSON text, empty cells for null ids. Cells that a
    spreadsheet would run as formulas (a user name "=HYPERLINK(…)", a payload starting with "+") get an
    apostrophe in front (``docintel.csv_safety``); ``audit.verify_export`` removes it before hashing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EVENT_FIELDS)
    for row in _rows(span):
        writer.writerow(neutral_row("" if value is None else value for value in row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def lines(span: ExportRange, export_format: str) -> Iterator[str]:
    if export_format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return jsonl_lines(span) if export_format == "jsonl" else csv_lines(span)


def _seq_at(index: int) -> int:
    return AuditLeaf.objects.values_list("event_seq", flat=True).get(index=index)


def manifest(span: ExportRange, export_format: str, *, filename: str, actor=None) -> dict:
    head = span.head
    frame = tree.range_frame(span.first_leaf, span.last_leaf + 1, head.tree_size)
    return {
        "manifest_version": MANIFEST_VERSION,
        "file": filename,
        "format": export_format,
        "exported_at": format_time(timezone.now()),
        "exported_by": getattr(actor, "username", "") or "system",
        "range": {"first_leaf": span.first_leaf, "last_leaf": span.last_leaf,
                  "first_seq": _seq_at(span.first_leaf), "last_seq": _seq_at(span.last_leaf),
                  "since": span.since.isoformat() if span.since else None,
                  "until": span.until.isoformat() if span.until else None},
        "count": span.count,
        "tree_head": head.as_dict(),
        "frame": [node.hex() for node in frame],
        "hashing": "leaf = SHA-256(0x00 || canonical JSON of every field but hash); node = SHA-256(0x01 || "
                   "left || right) (RFC 6962); canonical JSON: sorted keys, no whitespace, ASCII escapes",
        "public_keys": [{"algorithm": "ed25519", "key_id": key_id, "pem": pem}
                        for key_id, pem in keys.public_keys().items()],
        "public_key": {"algorithm": "ed25519", "key_id": keys.signing_key_id(), "pem": keys.public_key_pem()},
        "verify_with": "python -m audit.verify_export FILE [--public-key KEY.pem]",
    }


def filename_for(span: ExportRange, export_format: str) -> str:
    return f"audit-{span.first_leaf}-{span.last_leaf}.{export_format}"


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
        "via": via, "format": export_format, "first_leaf": span.first_leaf, "last_leaf": span.last_leaf,
        "count": span.count, "tree_size": span.head.tree_size, "root_hash": span.head.root_hash})
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
