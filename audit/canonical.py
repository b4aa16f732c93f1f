"""The audit log's canonical form: what is hashed, what is signed. Needs only the standard library and
``cryptography`` (no Django), so that ``audit.verify_export`` can check an export anywhere.

An event's hash is ``sha256(canonical_json(record))`` where ``record`` holds every field of the event
but ``hash`` itself, including ``prev_hash`` (the previous event's hash; 64 zeros for the first event),
and ``canonical_json`` is JSON with sorted keys, no whitespace and ASCII escapes. A checkpoint signs
the canonical JSON of ``{"size", "head_hash", "time"}`` with Ed25519.
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
