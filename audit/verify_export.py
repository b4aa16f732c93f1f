"""Check the audit log offline, with no Django and no database: only the files, Python and
``cryptography``.

    python -m audit.verify_export FILE [--public-key KEY.pem]... [--json]
    python -m audit.verify_export --proof PROOF.json [--sth HEAD.json]... [--public-key KEY.pem]...
    python -m audit.verify_export --consistency PROOF.json [--sth HEAD.json]... [--public-key KEY.pem]...

An export (``FILE`` with ``FILE.manifest.json`` beside it): every event's hash matches its content, and
the events, folded with the manifest's frame hashes, give the root of the signed tree head in the
manifest: nothing in the range was altered, left out, added or reordered. An inclusion proof
(``audit_prove --json``): the event is in the signed tree. A consistency proof (``audit_consistency
--json``): the larger tree only grew from the smaller. ``--sth`` passes tree heads the auditor kept
(last quarter's, a witness's): where one has a size a proof names, its root must match.

Files carry the log's public keys; an auditor who has them from another channel (``GET
/audit/public-key.pem``, the deployment's documentation) pins them with ``--public-key``, so that a
forger cannot bring their own. Exports made before the tree (manifest version 1) are checked as they
were: a hash chain and a signed checkpoint. Exit 0 when all holds; otherwise exit 1 naming the problem.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from audit import merkle
from audit.canonical import (
    EVENT_FIELDS,
    checkpoint_signature_valid,
    entry_bytes,
    is_chained,
    key_id,
    load_public_key,
    public_keys_by_id,
    record_hash,
    sth_signature_valid,
    stored_hash,
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


def _read_json(path: Path, what: str) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ExportInvalid(None, f"cannot read the {what} {path.name}: {error}") from None
    if not isinstance(value, dict):
        raise ExportInvalid(None, f"the {what} {path.name} is not a JSON object")
    return value


def _keys(pinned: list[bytes], listed) -> dict:
    """{key id: public key}: the pinned keys when the auditor gave any, else those the file lists."""
    if pinned:
        return public_keys_by_id(pinned)
    pems = [entry["pem"] for entry in listed or [] if isinstance(entry, dict) and "pem" in entry]
    return public_keys_by_id(pems)


def _check_head(sth: dict, known: dict, what: str) -> None:
    if not isinstance(sth, dict) or sth.get("key_id") not in known:
        raise ExportInvalid(None, f"the {what} is not signed by a known key (pin the log's keys with "
                                  f"--public-key)")
    if not sth_signature_valid(sth, known[sth["key_id"]]):
        raise ExportInvalid(None, f"the {what}'s signature does not verify")


def verify(path: Path, *, public_key_pem: bytes | None = None, pinned: list[bytes] | None = None) -> dict:
    """Return a summary of a valid export; raise ``ExportInvalid`` naming the first problem."""
    pinned = list(pinned or []) + ([public_key_pem] if public_key_pem else [])
    manifest_path = Path(f"{path}.manifest.json")
    manifest = _read_json(manifest_path, "manifest")
    if manifest.get("manifest_version", 1) == 1:
        return _verify_v1(path, manifest, manifest_path, pinned[0] if pinned else None)
    try:
        first_leaf, count = manifest["range"]["first_leaf"], manifest["count"]
        head, frame = manifest["tree_head"], [bytes.fromhex(node) for node in manifest["frame"]]
        export_format = manifest["format"]
    except (KeyError, TypeError, ValueError) as error:
        raise ExportInvalid(None, f"the manifest {manifest_path.name} lacks {error}") from None
    known = _keys(pinned, manifest.get("public_keys"))
    _check_head(head, known, "manifest's tree head")

    records = _jsonl_records(path) if export_format == "jsonl" else _csv_records(path)
    leaves: list[bytes] = []
    previous: dict | None = None
    line = 0
    for line, record in records:
        seq = record.get("seq")
        if set(record) != set(EVENT_FIELDS):
            raise ExportInvalid(line, f"line {line} (event {seq}) has other fields than an audit event")
        try:
            entry = entry_bytes(record)
        except (TypeError, ValueError):
            raise ExportInvalid(line, f"line {line} (event {seq}) holds values an event cannot") from None
        if stored_hash(record) != record["hash"]:
            raise ExportInvalid(line, f"line {line} (event {seq}) was altered: its hash does not match")
        if is_chained(record) and previous is not None and is_chained(previous) \
                and record["prev_hash"] != previous["hash"]:
            raise ExportInvalid(line, f"line {line} (event {seq}) does not link to the event before it")
        leaves.append(merkle.leaf_hash(entry))
        previous = record
    if len(leaves) != count:
        raise ExportInvalid(line + 1, f"the export holds {len(leaves)} events; the manifest says {count}")
    try:
        root = merkle.root_from_range(first_leaf, leaves, head["tree_size"], frame)
    except (ValueError, IndexError, TypeError) as error:
        raise ExportInvalid(None, f"the export does not fit the signed tree: {error}") from None
    if root.hex() != head["root_hash"]:
        raise ExportInvalid(None, "the events do not fold to the signed tree head's root: an event was "
                                  "left out, added or reordered")
    return {"ok": True, "file": str(path), "count": len(leaves), "first_leaf": first_leaf,
            "last_leaf": first_leaf + len(leaves) - 1, "tree_size": head["tree_size"],
            "root_hash": head["root_hash"], "key_id": head["key_id"], "signed_at": head["timestamp"]}


def verify_proof(path: Path, *, pinned: list[bytes] | None = None, heads: list[dict] | None = None) -> dict:
    """An inclusion proof (``audit_prove --json``): the event is leaf ``leaf_index`` of the signed tree."""
    proof = _read_json(path, "proof")
    try:
        index, size = int(proof["leaf_index"]), int(proof["tree_size"])
        leaf, root = bytes.fromhex(proof["leaf_hash"]), bytes.fromhex(proof["root_hash"])
        path_nodes = [bytes.fromhex(node) for node in proof["path"]]
        sth = proof["sth"]
    except (KeyError, TypeError, ValueError) as error:
        raise ExportInvalid(None, f"the proof lacks {error}") from None
    known = _keys(list(pinned or []), proof.get("public_keys"))
    _check_head(sth, known, "proof's tree head")
    if (sth.get("tree_size"), sth.get("root_hash")) != (size, root.hex()):
        raise ExportInvalid(None, "the proof is not against the tree head it carries")
    event = proof.get("event")
    if event is not None:
        if stored_hash(event) != event.get("hash"):
            raise ExportInvalid(None, "the event was altered: its hash does not match its content")
        if merkle.leaf_hash(entry_bytes(event)) != leaf:
            raise ExportInvalid(None, "the event's content does not hash to the proved leaf")
    if not merkle.inclusion_valid(index, size, leaf, path_nodes, root):
        raise ExportInvalid(None, f"the inclusion path does not lead from leaf {index} to the root")
    _against_heads(heads, {size: root.hex()})
    return {"ok": True, "kind": "inclusion", "seq": proof.get("seq"), "leaf_index": index, "tree_size": size,
            "root_hash": root.hex(), "key_id": sth["key_id"], "signed_at": sth["timestamp"]}


def verify_consistency(path: Path, *, pinned: list[bytes] | None = None,
                       heads: list[dict] | None = None) -> dict:
    """A consistency proof (``audit_consistency --json``): the newer tree only grew from the older."""
    proof = _read_json(path, "consistency proof")
    try:
        old, new = int(proof["old_size"]), int(proof["new_size"])
        old_root, new_root = bytes.fromhex(proof["old_root"]), bytes.fromhex(proof["new_root"])
        path_nodes = [bytes.fromhex(node) for node in proof["path"]]
    except (KeyError, TypeError, ValueError) as error:
        raise ExportInvalid(None, f"the consistency proof lacks {error}") from None
    known = _keys(list(pinned or []), proof.get("public_keys"))
    for name, size, root in (("old_sth", old, old_root), ("new_sth", new, new_root)):
        sth = proof.get(name)
        if sth is not None:
            _check_head(sth, known, name.replace("_sth", " tree head"))
            if (sth.get("tree_size"), sth.get("root_hash")) != (size, root.hex()):
                raise ExportInvalid(None, f"the {name.replace('_sth', '')} root is not the signed one")
    if not merkle.consistency_valid(old, new, old_root, new_root, path_nodes):
        raise ExportInvalid(None, f"the tree of {new} leaves does not extend the tree of {old} leaves")
    _against_heads(heads, {old: old_root.hex(), new: new_root.hex()})
    return {"ok": True, "kind": "consistency", "old_size": old, "new_size": new,
            "old_root": old_root.hex(), "new_root": new_root.hex()}


def _against_heads(heads: list[dict] | None, roots: dict[int, str]) -> None:
    """Heads the auditor kept (``--sth``): where one has a size the proof names, the roots must agree."""
    for head in heads or []:
        size = head.get("tree_size")
        if size in roots and roots[size] != head.get("root_hash"):
            raise ExportInvalid(None, f"the root at size {size} differs from the tree head you kept")


def _verify_v1(path: Path, manifest: dict, manifest_path: Path, public_key_pem: bytes | None) -> dict:
    """An export made before the Merkle tree (manifest version 1): a hash chain and a checkpoint."""
    try:
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
    parser.add_argument("file", type=Path, nargs="?", help="an export (FILE.manifest.json must be beside it)")
    parser.add_argument("--proof", type=Path, help="an inclusion proof (audit_prove --json)")
    parser.add_argument("--consistency", type=Path, help="a consistency proof (audit_consistency --json)")
    parser.add_argument("--public-key", type=Path, action="append", default=[],
                        help="a public key of the log (PEM), to pin it; repeat for rotated keys")
    parser.add_argument("--sth", type=Path, action="append", default=[],
                        help="a signed tree head you kept (JSON); repeatable")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if sum(bool(x) for x in (args.file, args.proof, args.consistency)) != 1:
        parser.error("give exactly one of FILE, --proof, --consistency")
    try:
        pinned = [key.read_bytes() for key in args.public_key]
        kept = [_read_json(head, "tree head") for head in args.sth]
        if args.proof:
            result = verify_proof(args.proof, pinned=pinned, heads=kept)
        elif args.consistency:
            result = verify_consistency(args.consistency, pinned=pinned, heads=kept)
        else:
            result = verify(args.file, pinned=pinned)
    except (ExportInvalid, OSError, ValueError, KeyError, TypeError, AttributeError, csv.Error) as error:
        line = getattr(error, "line", None)
        message = getattr(error, "message", str(error))
        if args.json:
            print(json.dumps({"ok": False, "line": line, "error": {"code": "invalid", "message": message}}))
        else:
            print(f"INVALID: {message}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    elif result.get("kind") == "inclusion":
        print(f"OK: event {result['seq']} is leaf {result['leaf_index']} of the tree of "
              f"{result['tree_size']} "
              f"signed {result['signed_at']} by key {result['key_id']}")
    elif result.get("kind") == "consistency":
        print(f"OK: the tree of {result['new_size']} leaves extends the tree of {result['old_size']}")
    elif "first_leaf" in result:
        print(f"OK: {result['count']} events (leaves {result['first_leaf']}..{result['last_leaf']}) fold to "
              f"the root of the tree of {result['tree_size']} signed {result['signed_at']} "
              f"by key {result['key_id']}")
    else:
        print(f"OK: {result['count']} events ({result['first_seq']}..{result['last_seq']}) verify; "
              f"head {result['head_hash']}, signed {result['signed_at']} by key {result['key_id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
