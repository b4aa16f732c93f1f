"""Check an audit export offline: ``python -m audit.verify_export FILE [--public-key KEY.pem] [--json]``.

Needs only the export, ``FILE.manifest.json`` beside it, Python and ``cryptography``: no Django, no
database. Checks that every event's hash matches its content, that each event links to the one
before (the first to the manifest's ``first_prev_hash``), that sequence numbers have no gaps, that the
count and last hash agree with the manifest, and that the manifest's checkpoint is signed over that
last hash. Exit 0 when all holds; otherwise exit 1 naming the first bad line.

The manifest carries the public key; an auditor who has the deployment's key from another channel
(``GET /audit/public-key.pem``) passes it with ``--public-key``, so a forger cannot bring their own.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from audit.canonical import (
    EVENT_FIELDS,
    checkpoint_signature_valid,
    key_id,
    load_public_key,
    record_hash,
)


class ExportInvalid(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                raise ExportInvalid(number, f"line {number} is not JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise ExportInvalid(number, f"line {number} is not a JSON object")
            yield number, record


def _csv_records(path: Path) -> Iterator[tuple[int, dict]]:
    csv.field_size_limit(2**31 - 1)  # payloads may exceed the module's default 128 KiB per cell
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != list(EVENT_FIELDS):
            raise ExportInvalid(1, "line 1 is not the expected CSV header")
        for cells in reader:
            number = reader.line_num
            # Undo the exporter's spreadsheet safety (docintel.csv_safety): a cell starting with an
            # apostrophe had exactly one put in front of it.
            row = [cell[1:] if cell.startswith("'") else cell for cell in cells]
            if len(row) != len(EVENT_FIELDS):
                raise ExportInvalid(number, f"line {number} has {len(row)} cells, not {len(EVENT_FIELDS)}")
            record: dict[str, object] = dict(zip(EVENT_FIELDS, row, strict=True))
            try:
                record["seq"] = int(row[EVENT_FIELDS.index("seq")])
                actor_id = row[EVENT_FIELDS.index("actor_id")]
                record["actor_id"] = int(actor_id) if actor_id else None
                record["details"] = json.loads(row[EVENT_FIELDS.index("details")])
            except ValueError:
                raise ExportInvalid(number, f"line {number}: malformed seq, actor_id or details") from None
            record["document_id"] = record["document_id"] or None
            yield number, record


def verify(path: Path, *, public_key_pem: bytes | None = None) -> dict:
    """Return a summary of a valid export; raise ``ExportInvalid`` naming the first problem."""
    manifest_path = Path(f"{path}.manifest.json")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        first_seq, last_seq = manifest["range"]["first_seq"], manifest["range"]["last_seq"]
        expected_prev, head_hash = manifest["first_prev_hash"], manifest["head_hash"]
        count = manifest["count"]
        checkpoint, export_format = manifest["checkpoint"], manifest["format"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ExportInvalid(None, f"cannot read the manifest {manifest_path.name}: {error}") from None

    public_key = load_public_key(public_key_pem or manifest["public_key"]["pem"])
    if not checkpoint_signature_valid(checkpoint, public_key):
        raise ExportInvalid(None, "the manifest's checkpoint signature does not verify with the public key")
    if checkpoint.get("key_id") != key_id(public_key):
        raise ExportInvalid(None, "the checkpoint was signed by another key than the one given")
    if (checkpoint["size"], checkpoint["head_hash"]) != (last_seq, head_hash):
        raise ExportInvalid(None, "the signed checkpoint does not cover the manifest's last event")

    records = _jsonl_records(path) if export_format == "jsonl" else _csv_records(path)
    expected_seq, prev, seen, line = first_seq, expected_prev, 0, 0
    for line, record in records:
        seq = record.get("seq")
        if seq != expected_seq:
            raise ExportInvalid(line, f"line {line}: expected event {expected_seq}, found {seq!r}")
        if record.get("prev_hash") != prev:
            raise ExportInvalid(line, f"line {line} (event {seq}) does not link to the event before it")
        if set(record) != set(EVENT_FIELDS):
            raise ExportInvalid(line, f"line {line} (event {seq}) has other fields than an audit event")
        try:
            computed = record_hash(record)
        except (TypeError, ValueError):
            raise ExportInvalid(line, f"line {line} (event {seq}) holds values an event cannot") from None
        if computed != record["hash"]:
            raise ExportInvalid(line, f"line {line} (event {seq}) was altered: its hash does not match")
        prev, expected_seq, seen = record["hash"], seq + 1, seen + 1
    if seen != count or expected_seq - 1 != last_seq:
        raise ExportInvalid(line + 1, f"the export holds {seen} events; the manifest says {count} "
                                      f"(events {first_seq} to {last_seq})")
    if prev != head_hash:
        raise ExportInvalid(line, "the last event's hash differs from the manifest's head hash")
    return {"ok": True, "file": str(path), "count": seen, "first_seq": first_seq, "last_seq": last_seq,
            "head_hash": head_hash, "key_id": key_id(public_key), "signed_at": checkpoint["time"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.verify_export", description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, help="the export (FILE.manifest.json must be beside it)")
    parser.add_argument("--public-key", type=Path, help="the deployment's public key (PEM), to pin it")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        result = verify(args.file, public_key_pem=args.public_key.read_bytes() if args.public_key else None)
    except (ExportInvalid, OSError, ValueError, KeyError, TypeError, AttributeError, csv.Error) as error:
        line = getattr(error, "line", None)
        message = getattr(error, "message", str(error))
        if args.json:
            error_body = {"code": "export_invalid", "message": message}
            print(json.dumps({"ok": False, "line": line, "error": error_body}))
        else:
            print(f"INVALID: {message}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        print(f"OK: {result['count']} events ({result['first_seq']}..{result['last_seq']}) verify; "
              f"head {result['head_hash']}, signed {result['signed_at']} by key {result['key_id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
