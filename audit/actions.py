"""The only writer of audit events (placeholder until the hash-chained log lands)."""

from __future__ import annotations


def record_event(action: str, *, document=None, actor=None, purpose: str = "", details: dict | None = None,
                 sensitive: dict | None = None):
    """Append one event, in the caller's transaction. ``details`` are stored in clear and must hold no
    PHI; ``sensitive`` is encrypted with the document's key."""
    return None
