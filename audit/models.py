"""The audit log: events, the Merkle tree over them, signed tree heads and their witnesses'
cosignatures, and per-document data keys.

Every table here but ``DocumentKey`` is append-only: the database rejects UPDATE, DELETE and TRUNCATE
(triggers in ``append_only.py``). None has a foreign key: the log outlives the users and documents it
names, and must never cascade. See ``audit/README.md`` for the design.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.db import models


class AuditEvent(models.Model):
    """One recorded action, written in the transaction of the change it records.

    ``hash`` is the event's leaf hash in the Merkle tree: SHA-256(0x00 ‖ canonical JSON of every other
    field), so that an event not yet in the tree is verifiable on its own. Events written before the
    tree (version 1 of the log) are hash-chained instead: ``prev_hash`` is the previous event's hash and
    ``hash`` = SHA-256(canonical JSON); from version 2 ``prev_hash`` is "".
    """

    # Unique and increasing, from a database sequence, so that writers never wait for each other; a
    # transaction that rolls back leaves a gap. The gapless order is the tree's (AuditLeaf.index).
    seq = models.BigIntegerField(primary_key=True)
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
    # Not unique: two events never share a seq, and a unique index would cost every append a random-key
    # B-tree insert for nothing (the tree, not this column, says which events exist).
    hash = models.CharField(max_length=64)

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


class AuditLeaf(models.Model):
    """Event ``event_seq`` is leaf ``index`` of the tree: the sequencer's gapless order of events.
    ``leaf_hash`` is the level-0 node (SHA-256(0x00 ‖ entry)), kept here rather than as a row of its
    own in ``AuditTreeNode``: one row and one index entry less per event."""

    index = models.BigIntegerField(primary_key=True)  # 0, 1, 2… with no gaps
    event_seq = models.BigIntegerField(unique=True)
    leaf_hash = models.BinaryField(max_length=32)
    integrated_at = models.DateTimeField()

    class Meta:
        ordering = ["index"]

    def __str__(self) -> str:
        return f"leaf {self.index}: event #{self.event_seq}"


class AuditTreeNode(models.Model):
    """A perfect subtree's hash, level 1 and up: leaves [index << level, (index + 1) << level) (level 0
    is ``AuditLeaf.leaf_hash``). ``node_id`` packs (level, index) into one key, ``level << 48 | index``,
    so that a proof's nodes come in one query."""

    node_id = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        level, index = split_node_id(self.node_id)
        return f"node {level}/{index}"


NODE_INDEX_BITS = 48  # 2^48 leaves: far beyond any audit log


def node_id(level: int, index: int) -> int:
    return level << NODE_INDEX_BITS | index


def split_node_id(value: int) -> tuple[int, int]:
    return value >> NODE_INDEX_BITS, value & ((1 << NODE_INDEX_BITS) - 1)


class SignedTreeHead(models.Model):
    """An Ed25519 signature over (tree size, root hash, timestamp, key id): "the log's first
    ``tree_size`` leaves have this root". Issued on a schedule, at exports, at key rotation, on demand."""

    tree_size = models.BigIntegerField(db_index=True)
    root_hash = models.CharField(max_length=64)
    timestamp = models.CharField(max_length=32, help_text="ISO 8601 UTC, exactly as signed")
    key_id = models.CharField(max_length=16)
    signature = models.TextField(help_text="base64 Ed25519 signature")
    reason = models.CharField(max_length=16)

    class Meta:
        ordering = ["tree_size", "id"]

    def __str__(self) -> str:
        return f"tree head at {self.tree_size} ({self.reason})"

    def as_dict(self) -> dict:
        return {"tree_size": self.tree_size, "root_hash": self.root_hash, "timestamp": self.timestamp,
                "key_id": self.key_id, "signature": self.signature}


class WitnessCosignature(models.Model):
    """A witness's signature over a tree head it checked (consistent with the last one it cosigned)."""

    tree_size = models.BigIntegerField(db_index=True)
    root_hash = models.CharField(max_length=64)
    witness = models.CharField(max_length=200, help_text="the witness's URL")
    witness_key_id = models.CharField(max_length=16)
    timestamp = models.CharField(max_length=32)
    signature = models.TextField()

    class Meta:
        ordering = ["tree_size", "id"]

    def __str__(self) -> str:
        return f"{self.witness} cosigned {self.tree_size}"

    def as_dict(self) -> dict:
        return {"tree_size": self.tree_size, "root_hash": self.root_hash, "witness": self.witness,
                "witness_key_id": self.witness_key_id, "timestamp": self.timestamp,
                "signature": self.signature}


class AuditSigningKey(models.Model):
    """Every public key that has signed tree heads, kept so that old heads and proofs still verify
    after a rotation. Registered the first time a key signs."""

    key_id = models.CharField(max_length=16, primary_key=True)
    pem = models.TextField()
    added = models.DateTimeField()

    def __str__(self) -> str:
        return f"signing key {self.key_id}"


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
    """The one text form of an event time: UTC, microseconds, ``Z`` (``isoformat`` writes the same text as
    ``strftime("%Y-%m-%dT%H:%M:%S.%fZ")`` in a quarter of the time: it runs once per append)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"
