"""The Merkle tree as stored: leaves (which event is leaf i) and perfect nodes, read for proofs.

Nodes are written only by the sequencer (``audit.sequencer``), inside the transaction that adds their
leaves, and never change: any proof for a tree size the log has reached reads O(log n) of them in one
query. The math is ``audit.merkle``; this module only fetches.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from docintel.errors import InputError

from . import merkle
from .models import (
    NODE_INDEX_BITS,
    AuditEvent,
    AuditLeaf,
    AuditTreeNode,
    SignedTreeHead,
    node_id,
    split_node_id,
)


def size() -> int:
    """Leaves in the tree (the last index plus one; the index is gapless)."""
    last = AuditLeaf.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


_LEAVES, _NODES = AuditLeaf._meta.db_table, AuditTreeNode._meta.db_table


def lookup(nodes: list[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of perfect nodes (leaves from their rows, the others from the node table), in
    one plain query: a proof's whole cost is this round trip (the ORM would triple it)."""
    leaves = [index for level, index in nodes if level == 0]
    wanted = [node_id(level, index) for level, index in nodes if level > 0]
    parts, params = [], []
    if leaves:
        parts.append(f'SELECT 0, "index", leaf_hash FROM {_LEAVES} WHERE "index" IN '
                     f'({", ".join(["%s"] * len(leaves))})')
        params += leaves
    if wanted:
        parts.append(f"SELECT 1, node_id, hash FROM {_NODES} WHERE node_id IN "
                     f"({', '.join(['%s'] * len(wanted))})")
        params += wanted
    if not parts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    return {((0, key) if kind == 0 else split_node_id(key)): bytes(digest) for kind, key, digest in rows}


def leaves_with_event_hashes(first: int, end: int) -> list[tuple[int, bytes, str | None, str | None]]:
    """(leaf index, stored leaf hash, its event's stored hash, its event's prev_hash) for leaves [first,
    end), in order; the event's columns are None where its row is gone."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT l."index", l.leaf_hash, e.hash, e.prev_hash FROM {_LEAVES} l '
                       f'LEFT JOIN {AuditEvent._meta.db_table} e ON e.seq = l.event_seq '
                       f'WHERE l."index" >= %s AND l."index" < %s ORDER BY l."index"', [first, end])
        return [(index, bytes(leaf), event_hash, prev_hash) for index, leaf, event_hash, prev_hash in cursor]


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


MAX_SIZE = 1 << NODE_INDEX_BITS  # no tree (and no number asked of it) goes past this


def leaf_index(seq: int) -> int:
    if not 0 < seq < 1 << 62:  # beyond any number the database can hold: no such event
        raise NotIntegrated(message=f"event {seq} does not exist")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "index" FROM {_LEAVES} WHERE event_seq = %s', [seq])
        row = cursor.fetchone()
    if row is None:
        raise NotIntegrated(message=f"event {seq} is not in the tree yet (or does not exist)")
    return row[0]


def inclusion(seq: int, tree_size: int) -> Inclusion:
    """Event ``seq``'s inclusion proof in the tree of ``tree_size`` leaves: two queries in all."""
    index = leaf_index(seq)
    if tree_size > MAX_SIZE:
        raise ProofError("bad_tree_size", f"the tree has fewer than {tree_size} leaves")
    if tree_size <= index:
        raise ProofError("bad_tree_size", f"event {seq} is leaf {index}: prove it in a tree of more than "
                                          f"{index} leaves")
    ranges = merkle.inclusion_ranges(index, tree_size)
    try:
        hashes = merkle.subtree_hashes([(index, index + 1), (0, tree_size), *ranges], lookup)
    except LookupError:  # a node of the requested size is missing: the tree has not grown that far
        raise ProofError("bad_tree_size", f"the tree has fewer than {tree_size} leaves") from None
    return Inclusion(seq, index, hashes[0], tree_size, hashes[1], hashes[2:])


@dataclass(frozen=True)
class Consistency:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    path: list[bytes]


def consistency(old_size: int, new_size: int) -> Consistency:
    """The consistency proof from ``old_size`` to ``new_size``: one query."""
    if not 0 <= old_size <= new_size <= MAX_SIZE:
        raise ProofError("bad_tree_size", "a consistency proof needs 0 <= old <= new <= the tree's size")
    ranges = merkle.consistency_ranges(old_size, new_size)
    wanted = [*ranges, *([(0, old_size)] if old_size else []), *([(0, new_size)] if new_size else [])]
    try:
        hashes = merkle.subtree_hashes(wanted, lookup)
    except LookupError:
        raise ProofError("bad_tree_size", f"a consistency proof needs 0 <= old <= new <= {size()} "
                                          f"(the tree's size now)") from None
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
