"""Proofs as documents an auditor keeps: the JSON that ``audit_prove``, ``audit_consistency``, the API
and the compliance page hand out, and that ``python -m audit.verify_export`` checks (contract §8)."""

from __future__ import annotations

from . import heads, keys, merkle, sequencer, tree
from .entries import query, record_of
from .models import SignedTreeHead
from .tree import LogDamaged, ProofError

__all__ = ["ProofError", "consistency_document", "inclusion_document"]


def _public_keys() -> list[dict]:
    return [{"algorithm": "ed25519", "key_id": key_id, "pem": pem}
            for key_id, pem in keys.public_keys().items()]


def inclusion_document(seq: int, tree_size: int | None = None) -> dict:
    """Event ``seq``'s inclusion proof against a signed tree head: the newest head that covers it
    (signed now when none does yet), or a head at exactly ``tree_size``."""
    sequencer.integrate_now()
    index, size = tree.leaf_index(seq), tree.size()
    if tree_size is None:
        head = tree.latest_head(at_least=index + 1) or heads.head_for(size)
    else:
        if not index < tree_size <= min(size, tree.MAX_SIZE):
            raise ProofError("bad_tree_size", f"event {seq} is leaf {index}: the tree size must be more "
                                              f"than {index} and at most {size}")
        head = heads.head_for(tree_size)
    proof = tree.inclusion(seq, head.tree_size)
    # Hand out only a proof that verifies: the stored nodes it read must still lead to the signed root.
    if merkle.root_from_inclusion(proof.leaf_index, proof.tree_size, proof.leaf_hash, proof.path) \
            != bytes.fromhex(head.root_hash):
        raise LogDamaged(message="the tree no longer matches its signed head; run audit_verify --nodes")
    rows = query("SELECT {columns} FROM {events} e WHERE e.seq = %s", [seq])
    return {"seq": seq, "leaf_index": proof.leaf_index, "leaf_hash": proof.leaf_hash.hex(),
            "tree_size": proof.tree_size, "root_hash": proof.root_hash.hex(),
            "path": [node.hex() for node in proof.path], "sth": head.as_dict(),
            "event": record_of(rows[0]) if rows else None, "public_keys": _public_keys()}


def consistency_document(old_size: int, new_size: int) -> dict:
    """The proof that the tree at ``new_size`` extends the one at ``old_size``, with the signed heads
    at those sizes where there are any (so that a witness or auditor can tie it to what they hold)."""
    sequencer.integrate_now()
    proof = tree.consistency(old_size, new_size)
    if not merkle.consistency_valid(old_size, new_size, proof.old_root, proof.new_root, proof.path):
        raise LogDamaged(message="the stored tree does not prove its own growth; run audit_verify --nodes")
    return {"old_size": proof.old_size, "new_size": proof.new_size, "old_root": proof.old_root.hex(),
            "new_root": proof.new_root.hex(), "path": [node.hex() for node in proof.path],
            "old_sth": _head_at(old_size), "new_sth": _head_at(new_size), "public_keys": _public_keys()}


def _head_at(size: int) -> dict | None:
    head = SignedTreeHead.objects.filter(tree_size=size).order_by("-id").first()
    return head.as_dict() if head else None
