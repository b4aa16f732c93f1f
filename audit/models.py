"""The audit log: hash-chained events, signed checkpoints of its head, and per-document data keys.

Events and checkpoints are append-only: the database rejects UPDATE, DELETE and TRUNCATE on their
tables (triggers in ``append_only.py``, created by migration 0002). Neither table has a foreign key:
the log outlives the users and documents it names, and must never cascade.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.db import models


class AuditEvent(models.Model):
    """One recorded action. ``hash`` = sha256 of the canonical JSON of every other field (see
    ``audit.canonical``); ``prev_hash`` links it to event ``seq - 1``."""

    seq = models.BigIntegerField(primary_key=True)  # 1, 2, 3… with no gaps; assigned under a lock
    time = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=100, blank=True, help_text="the actor's roles, comma-separated")
    document_id = models.UUIDField(null=True, blank=True, db_index=True)
    purpose = models.CharField(max_length=100, blank=True)
    # Canonical JSON text, stored as hashed: a JSON column could re-render numbers or keys differently.
    details = models.TextField(default="{}")
    # PHI-bearing payload: base64(nonce || AES-GCM ciphertext) under the document's data key, or "".
    sensitive = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["document_id", "seq"]), models.Index(fields=["action", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    @property
    def details_dict(self) -> dict:
        return json.loads(self.details)

    def as_record(self) -> dict:
        """Every field, as exports write them and as ``audit.canonical.record_hash`` hashes them."""
        return {
            "seq": self.seq, "time": format_time(self.time), "action": self.action,
            "actor_id": self.actor_id, "actor_username": self.actor_username, "actor_role": self.actor_role,
            "document_id": str(self.document_id) if self.document_id else None, "purpose": self.purpose,
            "details": json.loads(self.details), "sensitive": self.sensitive,
            "prev_hash": self.prev_hash, "hash": self.hash,
        }


class AuditCheckpoint(models.Model):
    """An Ed25519 signature over (size, head hash, time): "the log had ``size`` events ending in
    ``head_hash``". Made every ``AUDIT_CHECKPOINT_EVERY`` events and at every export."""

    size = models.BigIntegerField(db_index=True)
    head_hash = models.CharField(max_length=64)
    time = models.CharField(max_length=32, help_text="ISO 8601 UTC, exactly as signed")
    key_id = models.CharField(max_length=16)
    signature = models.TextField(help_text="base64 Ed25519 signature")
    reason = models.CharField(max_length=16, default="interval")

    class Meta:
        ordering = ["size", "id"]

    def __str__(self) -> str:
        return f"checkpoint at {self.size} ({self.reason})"

    def as_dict(self) -> dict:
        return {"size": self.size, "head_hash": self.head_hash, "time": self.time, "key_id": self.key_id,
                "signature": self.signature}


class DocumentKey(models.Model):
    """A document's data key, wrapped (AES-GCM) by the master key. Erasure empties ``wrapped_key``:
    without it, the document's ``sensitive`` payloads in the log can no longer be read."""

    document_id = models.UUIDField(primary_key=True)
    wrapped_key = models.BinaryField(null=True)
    created = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data key of {self.document_id}{' (destroyed)' if self.destroyed_at else ''}"


def format_time(value: datetime) -> str:
    """The one text form of an event time: UTC, microseconds, ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
