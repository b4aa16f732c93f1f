"""The audit log's canonical form: what is hashed, what is signed. Needs only the standard library and
``cryptography`` (no Django), so that ``audit.verify_export`` can check an export anywhere.

An event's *entry* is ``canonical_json(record)``, where ``record`` holds every field of the event but
``hash`` itself, and ``canonical_json`` is JSON with sorted keys, no whitespace and ASCII escapes. Its
leaf in the Merkle tree is SHA-256(0x00 ‖ entry) (``audit.merkle``), and from version 2 of the log that
is also its ``hash``. Version 1 events (before the tree) carry a hash chain instead: ``prev_hash`` is the
previous event's hash (64 zeros for the first) and ``hash`` = SHA-256(entry); version 2 events have
``prev_hash`` "".

A signed tree head (STH) signs the canonical JSON of ``{"tree_size", "root_hash", "timestamp",
"key_id"}`` with Ed25519; a witness's cosignature signs that of ``{"sth": <those four>, "witness_key_id",
"timestamp"}``. Version 1 checkpoints signed ``{"size", "head_hash", "time"}``.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS_HASH = "0" * 64
# Every field of an event, in the order exports write them; all but "hash" are hashed.
EVENT_FIELDS = ("seq", "time", "action", "actor_id", "actor_username", "actor_role", "document_id",
                "purpose", "details", "sensitive", "prev_hash", "hash")


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def record_hash(record: dict) -> str:
    """The hash of an event given as a dict of its fields (a ``hash`` key, if present, is left out)."""
    body = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def entry_bytes(record: dict) -> bytes:
    """What an event's leaf hashes: every field but ``hash``."""
    return canonical_json({key: value for key, value in record.items() if key != "hash"})


def is_chained(record: dict) -> bool:
    """A version 1 event (hash-chained, before the tree)?"""
    return bool(record.get("prev_hash"))


def stored_hash(record: dict) -> str:
    """The ``hash`` an untampered event carries: its leaf hash (v2) or its chain hash (v1)."""
    entry = entry_bytes(record)
    return hashlib.sha256(entry if is_chained(record) else b"\x00" + entry).hexdigest()


def sth_message(tree_size: int, root_hash: str, timestamp: str, key_id: str) -> bytes:
    return canonical_json({"tree_size": tree_size, "root_hash": root_hash, "timestamp": timestamp,
                           "key_id": key_id})


def sth_signature_valid(sth: dict, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(base64.b64decode(sth["signature"]), sth_message(
            sth["tree_size"], sth["root_hash"], sth["timestamp"], sth["key_id"]))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


def cosign_message(sth: dict, witness_key_id: str, timestamp: str) -> bytes:
    signed = {name: sth[name] for name in ("tree_size", "root_hash", "timestamp", "key_id")}
    return canonical_json({"sth": signed, "witness_key_id": witness_key_id, "timestamp": timestamp})


def public_keys_by_id(pems) -> dict[str, Ed25519PublicKey]:
    """{key id: key} of PEM public keys (str or bytes)."""
    loaded = [load_public_key(pem) for pem in pems]
    return {key_id(key): key for key in loaded}


def checkpoint_message(size: int, head_hash: str, time: str) -> bytes:
    return canonical_json({"size": size, "head_hash": head_hash, "time": time})


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint that names a signing key (first 16 hex digits of the raw key's sha256)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


def checkpoint_signature_valid(checkpoint: dict, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(base64.b64decode(checkpoint["signature"]),
                          checkpoint_message(checkpoint["size"], checkpoint["head_hash"], checkpoint["time"]))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True
