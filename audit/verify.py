"""Checking the whole log: every event against its own hash, the tree rebuilt from the events against
every signed tree head and every witnessed head, the stored nodes that proofs read, and the version 1
hash chain with its checkpoints where the log began before the tree.

What each check catches, and what it cannot, is in ``audit/README.md``.
"""

from __future__ import annotations

import gc
import hashlib
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from operator import itemgetter

from . import heads, keys, merkle, tree
from .canonical import GENESIS_HASH, checkpoint_signature_valid, public_keys_by_id, sth_signature_valid
from .entries import EVENT_AT, HASH_AT, PREV_HASH_AT, canonical_event_bytes, leaf_batches, leaf_entries
from .models import AuditCheckpoint, AuditEvent, AuditLeaf, AuditTreeNode, SignedTreeHead, node_id

NODE_CHECK_BATCH = 20_000


@dataclass
class Verification:
    ok: bool = True
    count: int = 0  # leaves checked
    tree_size: int = 0
    root_hash: str = merkle.EMPTY_ROOT.hex()
    verified_up_to: int = 0  # the leaf count up to which everything checked out
    first_bad_seq: int | None = None
    first_bad_leaf: int | None = None
    error: str = ""
    tree_heads: int = 0  # signed tree heads checked against the rebuilt tree
    last_tree_head: dict | None = None
    witnessed: list[dict] = field(default_factory=list)
    checkpoints: int = 0  # version 1 checkpoints checked against the chain
    pending: int = 0  # events not yet in the tree (verified by their own hash)
    # Leaves checked one at a time rather than a batch at once: version 1 events, ``check_nodes``, and
    # the batch where a problem is (0 on a clean version 2 log).
    walked_one_by_one: int = 0

    def fail(self, message: str, *, seq: int | None = None, leaf: int | None = None) -> Verification:
        self.ok, self.error = False, message
        self.first_bad_seq, self.first_bad_leaf = seq, leaf
        self.verified_up_to = self.count  # everything before the problem checked out
        return self

    def as_dict(self) -> dict:
        return asdict(self)


def verify_log(*, witnessed: list[dict] | None = None, pinned_keys: list[str] | None = None,
               check_nodes: bool = False) -> Verification:
    """Verify everything; ``witnessed`` are heads held outside the database (``audit.witnessing``),
    ``pinned_keys`` PEM public keys an auditor trusts instead of those the database lists.
    ``check_nodes`` also compares every stored inner node with the rebuilt tree (proofs read them; a
    wrong one makes a proof fail against its signed head, so this is a repair check, not a security
    one, and it doubles the reading)."""
    result = Verification(witnessed=list(witnessed or []))
    registered = public_keys_by_id(keys.public_keys().values())
    known = public_keys_by_id(pinned_keys) if pinned_keys else registered
    sths = list(SignedTreeHead.objects.order_by("tree_size", "id"))
    for sth in sths:
        key = known.get(sth.key_id)
        if key is None or not _sth_valid(sth, key):
            return result.fail(f"the tree head signed at {sth.timestamp} (size {sth.tree_size}) has a bad "
                               f"signature or an unknown key {sth.key_id}")
    checkpoints = _legacy_checkpoints(result, registered)
    if checkpoints is None:
        return result
    expected: dict[int, list[tuple[str, str]]] = {}
    for sth in sths:
        expected.setdefault(sth.tree_size, []).append(
            (sth.root_hash, f"the tree head signed {sth.timestamp}"))
    for head in result.witnessed:
        if "tree_size" in head and "root_hash" in head:
            expected.setdefault(int(head["tree_size"]), []).append(
                (head["root_hash"], f"the head witnessed by {head['source']}"))
    if not _walk(result, expected, checkpoints, sths, check_nodes):
        return result
    outgrown = [size for size in expected if size > result.tree_size]
    if outgrown:
        return result.fail(f"{_name(expected[max(outgrown)][0][1])} says the log had {max(outgrown)} leaves; "
                           f"only {result.tree_size} are left (truncated)", leaf=result.tree_size)
    result.pending = AuditEvent.objects.count() - result.tree_size
    if result.pending < 0:
        return result.fail("the tree holds more leaves than there are events")
    return result


def _failed(_: Verification) -> bool:
    """``return _failed(result.fail(...))``: record the failure and stop the walk."""
    return False


def _name(text: str) -> str:
    return text[0].upper() + text[1:]


def _sth_valid(sth: SignedTreeHead, key) -> bool:
    return sth_signature_valid(sth.as_dict(), key)


def _legacy_checkpoints(result: Verification, known: dict) -> dict[int, list[dict]] | None:
    """Version 1 checkpoints, their signatures checked (by any key the log knows)."""
    found: dict[int, list[dict]] = {}
    for checkpoint in AuditCheckpoint.objects.order_by("size", "id"):
        data = checkpoint.as_dict()
        key = known.get(checkpoint.key_id)
        if key is None or not checkpoint_signature_valid(data, key):
            result.fail(f"checkpoint at size {checkpoint.size} has a bad signature", seq=checkpoint.size)
            return None
        found.setdefault(checkpoint.size, []).append(data)
    return found


# The batch check's steps, bound once: each runs in C over a whole batch (map), not once per event.
_sha256 = hashlib.sha256
_digest = type(hashlib.sha256()).digest
_stored_leaf, _prev_hash, _stored_hash = itemgetter(1), itemgetter(PREV_HASH_AT), itemgetter(HASH_AT)
_node_prefix = b"\x01".__add__


@dataclass
class _Walk:
    """Where the rebuild of the tree stands."""

    expected: dict[int, list[tuple[str, str]]]  # tree size: the roots signed or witnessed for it
    sizes: list[int]  # the sizes of ``expected``, sorted
    heads: dict[int, list[SignedTreeHead]]  # the signed tree heads by size
    chain: _Chain
    check_nodes: bool
    compact: merkle.CompactRange = field(default_factory=merkle.CompactRange)
    made: list[tuple[merkle.Node, bytes]] = field(default_factory=list)

    def heads_at(self, size: int) -> list[SignedTreeHead]:
        return self.heads.get(size, [])


def _walk(result: Verification, expected: dict[int, list[tuple[str, str]]],
          checkpoints: dict[int, list[dict]], sths: list[SignedTreeHead], check_nodes: bool) -> bool:
    """Rebuild the tree, checking each event, its stored leaf, every expected root and (with
    ``check_nodes``) every stored inner node. A batch of leaves is checked whole (``_batch_checks_out``);
    one that does not, or holds version 1 events, is walked event by event (``_walk_rows``), which names
    the first problem."""
    heads_by_size: dict[int, list[SignedTreeHead]] = {}
    for sth in sths:
        heads_by_size.setdefault(sth.tree_size, []).append(sth)
    walk = _Walk(expected, sorted(expected), heads_by_size, _Chain(checkpoints), check_nodes)
    end = tree.size()
    with _collector_paused():
        for rows in leaf_batches(0, end):
            checked = not check_nodes and _batch_checks_out(result, walk, rows)
            if not checked and not _walk_rows(result, walk, rows):
                return False
    size = result.count = result.verified_up_to = result.tree_size = walk.compact.size
    result.checkpoints = walk.chain.checkpoints
    if walk.made and not _stored_nodes_match(result, walk.made):
        return False
    beyond = [checked for checked in checkpoints if checked > size]
    if beyond:
        return _failed(result.fail(f"a signed checkpoint says the log had {max(beyond)} events; "
                                   f"only {size} are left", seq=size + 1))
    result.root_hash = walk.compact.root().hex()
    return True


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the walk runs: the rows it reads are a million tuples
    that make no cycles, and the collector kept scanning them (2-3% of the walk's CPU at a million
    events, measured on a loaded machine)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _batch_checks_out(result: Verification, walk: _Walk, rows: list[tuple]) -> bool:
    """Check a batch of version 2 events at once: every event's hash and stored leaf, the batch's
    subtree level by level, and every expected root inside it. True when all of it holds (the walk
    then stands after the batch); False, having changed nothing, when anything does not, or where
    leaves are missing or the batch is not aligned to its size (the row walk then says what)."""
    compact, count = walk.compact, len(rows)
    start = compact.size
    if not count or rows[0][0] != start or rows[-1][0] != start + count - 1:
        return False  # leaves missing
    if start % (1 << (count.bit_length() - 1)):
        return False  # the batch's subtrees would not be the tree's: only the first batch can be so
    try:
        leaves = list(map(_digest, map(_sha256, leaf_entries(rows))))
    except (TypeError, UnicodeEncodeError):  # an event row gone, or text that was never canonical
        return False
    if (leaves != list(map(_stored_leaf, rows)) or any(map(_prev_hash, rows))
            or list(map(bytes.hex, leaves)) != list(map(_stored_hash, rows))):
        return False
    levels = [leaves]  # levels[h][j]: the perfect node of 2**h leaves from start + j * 2**h
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append(list(map(_digest, map(_sha256, map(bytes.__add__, map(_node_prefix, below[0::2]),
                                                           below[1::2])))))

    def nodes(end: int) -> list[bytes]:
        """The batch's perfect nodes that, after the border, fold into the root of ``end`` leaves."""
        return [levels[level][((index << level) - start) >> level]
                for level, index in merkle.perfect_nodes(start, end)]

    heads_found = 0
    last_head = None
    for size in walk.sizes[bisect_right(walk.sizes, start):bisect_right(walk.sizes, start + count)]:
        root = merkle.fold(compact.border + nodes(size)).hex()
        if any(wanted != root for wanted, _ in walk.expected[size]):
            return False
        found = walk.heads_at(size)
        if found:
            heads_found += len(found)
            last_head = found[-1]
    for level, index in merkle.perfect_nodes(start, start + count):
        compact.push_subtree(level, levels[level][((index << level) - start) >> level])
    walk.chain.open = False  # no version 1 event may follow a version 2 one
    result.count = compact.size
    result.tree_heads += heads_found
    if last_head is not None:
        result.last_tree_head = last_head.as_dict()
    return True


def _walk_rows(result: Verification, walk: _Walk, rows: list[tuple]) -> bool:
    """Rebuild the tree leaf by leaf, checking each event, its stored leaf, every expected root and (with
    ``check_nodes``) every stored inner node; False at the first problem, named in ``result``."""
    compact, chain, made, expected = walk.compact, walk.chain, walk.made, walk.expected
    size = compact.size
    result.walked_one_by_one += len(rows)
    for row in rows:
        index, stored_leaf, seq = row[0], row[1], row[EVENT_AT]
        if index != size:
            return _failed(result.fail(f"leaf {size} is missing from the tree", leaf=size))
        if seq is None:
            seq = _seq_of_leaf(index)
            return _failed(result.fail(f"event {seq} (leaf {index}) was deleted", seq=seq, leaf=index))
        try:
            entry = canonical_event_bytes(*row[EVENT_AT:HASH_AT])
        except UnicodeEncodeError:  # canonical text is ASCII: this was written by hand
            return _failed(result.fail(f"event {seq} was altered (its content is not in canonical form)",
                                       seq=seq, leaf=index))
        digest = hashlib.sha256(b"\x00" + entry)
        leaf = digest.digest()
        if row[PREV_HASH_AT]:  # a version 1 event, chained
            problem = chain.check(row[EVENT_AT:], entry)
            if problem:
                return _failed(result.fail(problem, seq=seq, leaf=index))
        else:
            if chain.open:
                chain.open = False  # no version 1 event may follow a version 2 one
            if digest.hexdigest() != row[HASH_AT]:
                return _failed(result.fail(f"event {seq} was altered (its hash does not match its "
                                           f"content)", seq=seq, leaf=index))
        if stored_leaf != leaf:  # what proofs read for this leaf
            return _failed(result.fail(f"event {seq} (leaf {index}) differs from the leaf the tree stores",
                                       seq=seq, leaf=index))
        if walk.check_nodes:
            made.extend(node for node in compact.append(leaf) if node[0][0] > 0)
            if len(made) >= NODE_CHECK_BATCH and not _stored_nodes_match(result, made):
                return False
        else:
            compact.push(leaf)
        size += 1
        result.count = size  # verified so far (a failure above names the next one)
        if size in expected:
            root = compact.root().hex()
            for wanted, source in expected[size]:
                if wanted != root:
                    if walk.check_nodes and not _stored_nodes_match(result, made):  # names the event
                        return False
                    return _failed(result.fail(
                        f"the log's first {size} leaves do not have the root {source} holds: events were "
                        f"changed, deleted or reordered", leaf=size - 1))
            found = walk.heads_at(size)
            if found:
                result.tree_heads += len(found)
                result.last_tree_head = found[-1].as_dict()
    return True


class _Chain:
    """Version 1 events: each links to the one before, from genesis, until the first version 2 event."""

    def __init__(self, checkpoints: dict[int, list[dict]]) -> None:
        self.prev, self.open, self.checkpoints = GENESIS_HASH, True, 0
        self.signed = checkpoints

    def check(self, row: tuple, entry: bytes) -> str:
        seq, prev_hash, digest = row[0], row[10], row[11]
        if not self.open or prev_hash != self.prev:
            return f"event {seq} does not link to the event before it (prev_hash differs)"
        if hashlib.sha256(entry).hexdigest() != digest:
            return f"event {seq} was altered (its hash does not match its content)"
        for signed in self.signed.get(seq, ()):
            if signed["head_hash"] != digest:
                return f"event {seq} differs from the checkpoint signed at {signed['time']}"
            self.checkpoints += 1
        self.prev = digest
        return ""


def _stored_nodes_match(result: Verification, made: list[tuple[merkle.Node, bytes]]) -> bool:
    """Compare the nodes rebuilt from the events with those proofs read (one range query per level)."""
    by_level: dict[int, list[tuple[int, bytes]]] = {}
    for (level, index), digest in made:
        by_level.setdefault(level, []).append((index, digest))
    for level, nodes in by_level.items():
        low, high = node_id(level, nodes[0][0]), node_id(level, nodes[-1][0])
        stored = dict(AuditTreeNode.objects.filter(node_id__gte=low, node_id__lte=high)
                      .values_list("node_id", "hash"))
        for index, digest in nodes:
            if bytes(stored.get(node_id(level, index), b"")) != digest:
                seq = _seq_of_leaf(index << level)
                made.clear()
                return _failed(result.fail(f"the stored tree node {level}/{index} (leaves from "
                                        f"{index << level}) "
                                        f"does not match the events; proofs over it would not verify",
                                        seq=seq, leaf=index << level))
    made.clear()
    return True


def _seq_of_leaf(index: int) -> int | None:
    return AuditLeaf.objects.filter(index=index).values_list("event_seq", flat=True).first()


def quick_status(since_size: int, since_root: str) -> dict:
    """Cheap check for the status page: the newest signed head is a consistent extension of the tree
    head the last full verification ended at (O(log n) stored nodes)."""
    latest = tree.latest_head()
    if latest is None or latest.tree_size < since_size:
        return {"ok": latest is None and since_size == 0, "latest": latest.as_dict() if latest else None}
    bad = heads.bad_signatures([latest])
    if bad:
        return {"ok": False, "latest": latest.as_dict(), "message": "the newest tree head's signature is bad"}
    proof = tree.consistency(since_size, latest.tree_size)
    since = bytes.fromhex(since_root) if since_size else merkle.EMPTY_ROOT
    latest_root = bytes.fromhex(latest.root_hash)
    consistent = merkle.consistency_valid(since_size, latest.tree_size, since, latest_root, proof.path)
    return {"ok": consistent, "latest": latest.as_dict(),
            "message": "" if consistent else "the newest tree head does not extend the verified one"}
