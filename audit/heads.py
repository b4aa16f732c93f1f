"""Signed tree heads: when one is due, signing it, and checking a set of them.

A head is issued by the sequencer every ``AUDIT_STH_EVERY`` new leaves or after ``AUDIT_STH_INTERVAL_S``
of activity (whichever comes first), and on demand: at every export, at key rotation, for a proof
asked against a size no head covers yet. Each one is then published to the witnesses
(``audit.witnessing``), outside the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from . import keys, merkle, tree
from .canonical import public_keys_by_id, sth_message, sth_signature_valid
from .models import SignedTreeHead, format_time


def sign_head(tree_size: int, root_hash: bytes, *, reason: str) -> SignedTreeHead:
    """Sign and store a head for the tree at ``tree_size`` (whose root the caller read or computed)."""
    key_id = keys.register_signing_key()
    timestamp = format_time(timezone.now())
    signature = keys.sign(sth_message(tree_size, root_hash.hex(), timestamp, key_id))
    return SignedTreeHead.objects.create(tree_size=tree_size, root_hash=root_hash.hex(), timestamp=timestamp,
                                         key_id=key_id, signature=signature, reason=reason)


def sign_tree_now(*, reason: str) -> SignedTreeHead:
    """A head over the tree as it stands, signed now with the current key (even where one exists at
    that size: a rotation needs the old key's last word and the new key's first)."""
    tree_size = tree.size()
    return sign_head(tree_size, checked_root(tree_size), reason=reason)


def due(tree_size: int, latest: SignedTreeHead | None, now=None) -> str | None:
    """Why a head is due for a tree grown to ``tree_size`` ("interval", "timer"), or None."""
    if latest is None:
        return "interval" if tree_size else None
    grown = tree_size - latest.tree_size
    if grown >= settings.AUDIT_STH_EVERY:
        return "interval"
    if grown > 0:
        signed_at = datetime.fromisoformat(latest.timestamp.replace("Z", "+00:00"))
        if (now or timezone.now()) - signed_at >= timedelta(seconds=settings.AUDIT_STH_INTERVAL_S):
            return "timer"
    return None


def head_for(tree_size: int, *, reason: str = "on_demand") -> SignedTreeHead:
    """A head at exactly ``tree_size``: the newest one there, or one signed now."""
    existing = SignedTreeHead.objects.filter(tree_size=tree_size).order_by("-id").first()
    return existing or sign_head(tree_size, checked_root(tree_size), reason=reason)


def checked_root(tree_size: int) -> bytes:
    """The root of the tree at ``tree_size``, for a head about to be signed on demand (``checked_range``,
    each leaf since the last head also checked against its event's own hash)."""
    return checked_range(tree_size, against_events=True).root()


def checked_range(tree_size: int, *, against_events: bool) -> merkle.CompactRange:
    """The tree's border at ``tree_size``, made so that a stored node damaged since the last signed head
    is refused, not signed: the stored border of the newest earlier head whose signature verifies must
    still fold to that head's root, and the leaves after it are folded from their stored leaf hashes (not
    from stored inner nodes), ``against_events``: each equal to its event's own hash. Raises
    ``tree.LogDamaged`` otherwise (``audit_verify`` says where). Reads the leaves since that head: at
    most ``AUDIT_STH_EVERY`` or ``AUDIT_STH_INTERVAL_S`` of them."""
    known = public_keys_by_id(keys.public_keys().values())
    base_size, base_root = 0, None
    for head in SignedTreeHead.objects.filter(tree_size__lte=tree_size).order_by("-tree_size", "-id")[:8]:
        if head.key_id in known and sth_signature_valid(head.as_dict(), known[head.key_id]):
            base_size, base_root = head.tree_size, head.root_hash
            break
    compact = merkle.CompactRange(base_size, tree.border(base_size))
    if base_root is not None and compact.root().hex() != base_root:
        raise tree.LogDamaged(message=f"the stored tree no longer gives the root signed at size {base_size}; "
                                      f"run audit_verify --nodes")
    for index, leaf, event_hash, prev_hash in tree.leaves_with_event_hashes(base_size, tree_size):
        if index != compact.size:
            break
        if against_events and (event_hash is None or (not prev_hash and event_hash != leaf.hex())):
            raise tree.LogDamaged(message=f"leaf {index} does not match its event; run audit_verify")
        compact.push(leaf)
    if compact.size != tree_size:
        raise tree.LogDamaged(message=f"leaf {compact.size} is missing; run audit_verify")
    return compact


def bad_signatures(heads) -> list[SignedTreeHead]:
    """The heads whose signature does not verify with a key the log knows."""
    known = public_keys_by_id(keys.public_keys().values())
    return [head for head in heads
            if head.key_id not in known or not sth_signature_valid(head.as_dict(), known[head.key_id])]
