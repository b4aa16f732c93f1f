"""The Merkle tree as stored: leaves (which event is leaf i) and perfect nodes, read for proofs.

Nodes are written only by the sequencer (``audit.sequencer``), inside the transaction that adds their
leaves, and never change: any proof for a tree size the log has reached reads O(log n) of them in one
query. The math is ``audit.merkle``; this module only fetches.
"""

from __future__ import annotations

from dataclasses import dataclass

from docintel.errors import InputError

from . import merkle
from .models import AuditLeaf, AuditTreeNode, SignedTreeHead, node_id, split_node_id


def size() -> int:
    """Leaves in the tree (the last index plus one; the index is gapless)."""
    last = AuditLeaf.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


def lookup(nodes: list[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of perfect nodes: leaves in one query, higher nodes in another."""
    leaves = [index for level, index in nodes if level == 0]
    wanted = [node_id(level, index) for level, index in nodes if level > 0]
    found: dict[merkle.Node, bytes] = {}
    if leaves:
        for index, digest in AuditLeaf.objects.filter(index__in=leaves).values_list("index", "leaf_hash"):
            found[(0, index)] = bytes(digest)
    if wanted:
        for key, digest in AuditTreeNode.objects.filter(node_id__in=wanted).values_list("node_id", "hash"):
            found[split_node_id(key)] = bytes(digest)
    return found


def root_at(tree_size: int) -> bytes:
    return merkle.root(tree_size, lookup)


def border(tree_size: int) -> list[bytes]:
    """The right border of the tree at ``tree_size`` (where the sequencer goes on)."""
    nodes = merkle.CompactRange.border_nodes(tree_size)
    found = lookup(nodes)
    return [found[node] for node in nodes]


class ProofError(InputError):
    """A proof that cannot be made for what was asked (a size the tree has not reached)."""

    default_code = "bad_tree_size"


class NotIntegrated(ProofError):
    """The event does not exist, or is not in the tree yet (the sequencer places it within seconds)."""

    default_code = "not_integrated"
    http_status = 404


class LogDamaged(ProofError):
    """The stored tree no longer matches what was signed: only ``audit_verify`` can say more."""

    default_code = "log_damaged"
    http_status = 409


@dataclass(frozen=True)
class Inclusion:
    seq: int
    leaf_index: int
    leaf_hash: bytes
    tree_size: int
    root_hash: bytes
    path: list[bytes]


def leaf_of(seq: int) -> AuditLeaf:
    leaf = AuditLeaf.objects.filter(event_seq=seq).first()
    if leaf is None:
        raise NotIntegrated(message=f"event {seq} is not in the tree yet (or does not exist)")
    return leaf


def inclusion(seq: int, tree_size: int) -> Inclusion:
    leaf = leaf_of(seq)
    if not leaf.index < tree_size <= size():
        raise ProofError("bad_tree_size", f"event {seq} is leaf {leaf.index}: prove it in a tree of more "
                                          f"than {leaf.index} and at most {size()} leaves")
    ranges = merkle.inclusion_ranges(leaf.index, tree_size)
    hashes = merkle.subtree_hashes([(leaf.index, leaf.index + 1), (0, tree_size), *ranges], lookup)
    return Inclusion(seq, leaf.index, hashes[0], tree_size, hashes[1], hashes[2:])


@dataclass(frozen=True)
class Consistency:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    path: list[bytes]


def consistency(old_size: int, new_size: int) -> Consistency:
    if not 0 <= old_size <= new_size <= size():
        raise ProofError("bad_tree_size", f"a consistency proof needs 0 <= old <= new <= {size()} "
                                          f"(the tree's size now)")
    ranges = merkle.consistency_ranges(old_size, new_size)
    wanted = [*ranges, *([(0, old_size)] if old_size else []), *([(0, new_size)] if new_size else [])]
    hashes = merkle.subtree_hashes(wanted, lookup)
    new_root = hashes.pop() if new_size else merkle.EMPTY_ROOT
    old_root = hashes.pop() if old_size else merkle.EMPTY_ROOT
    return Consistency(old_size, new_size, old_root, new_root, hashes)


def range_frame(first: int, end: int, tree_size: int) -> list[bytes]:
    """The hashes that, with leaves [first, end), fold to the root at ``tree_size`` (exports)."""
    return merkle.subtree_hashes(merkle.range_frame(first, end, tree_size), lookup)


def latest_head(*, at_least: int = 0) -> SignedTreeHead | None:
    """The newest signed tree head covering at least ``at_least`` leaves."""
    return SignedTreeHead.objects.filter(tree_size__gte=at_least).order_by("-tree_size", "-id").first()



def head() -> tuple[int, str]:
    """(tree size, root hash as hex) now."""
    tree_size = size()
    return tree_size, root_at(tree_size).hex()
