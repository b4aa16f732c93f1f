"""Checking the whole log: every event against its own hash, the tree rebuilt from the events against
every signed tree head and every witnessed head, the stored nodes that proofs read, and the version 1
hash chain with its checkpoints where the log began before the tree.

What each check catches, and what it cannot, is in ``audit/README.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from . import heads, keys, merkle, tree
from .canonical import GENESIS_HASH, checkpoint_signature_valid, public_keys_by_id, sth_signature_valid
from .entries import EVENT_AT, HASH_AT, PREV_HASH_AT, canonical_event_bytes, leaf_rows
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


def _walk(result: Verification, expected: dict[int, list[tuple[str, str]]],
          checkpoints: dict[int, list[dict]], sths: list[SignedTreeHead], check_nodes: bool) -> bool:
    """Rebuild the tree leaf by leaf, checking each event, its stored leaf, every expected root and (with
    ``check_nodes``) every stored inner node. The loop runs once per event: keep it lean."""
    compact = merkle.CompactRange()
    push, sha256 = compact.push, hashlib.sha256
    chain = _Chain(checkpoints)
    made: list[tuple[merkle.Node, bytes]] = []
    last_sth = {sth.tree_size: sth for sth in sths}
    size = 0
    for row in leaf_rows(0):
        index, stored_leaf, seq = row[0], row[1], row[EVENT_AT]
        if index != size:
            return _failed(result.fail(f"leaf {size} is missing from the tree", leaf=size))
        if seq is None:
            seq = _seq_of_leaf(index)
            return _failed(result.fail(f"event {seq} (leaf {index}) was deleted", seq=seq, leaf=index))
        entry = canonical_event_bytes(*row[EVENT_AT:HASH_AT])
        digest = sha256(b"\x00" + entry)
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
        if check_nodes:
            made.extend(node for node in compact.append(leaf) if node[0][0] > 0)
            if len(made) >= NODE_CHECK_BATCH and not _stored_nodes_match(result, made):
                return False
        else:
            push(leaf)
        size += 1
        result.count = size  # verified so far (a failure above names the next one)
        if size in expected:
            root = compact.root().hex()
            for wanted, source in expected[size]:
                if wanted != root:
                    if check_nodes and not _stored_nodes_match(result, made):  # names the event
                        return False
                    return _failed(result.fail(
                        f"the log's first {size} leaves do not have the root {source} holds: events were "
                        f"changed, deleted or reordered", leaf=size - 1))
            if size in last_sth:
                result.tree_heads += len([s for s in sths if s.tree_size == size])
                result.last_tree_head = last_sth[size].as_dict()
    result.count = result.verified_up_to = result.tree_size = size
    result.checkpoints = chain.checkpoints
    if made and not _stored_nodes_match(result, made):
        return False
    beyond = [checked for checked in checkpoints if checked > size]
    if beyond:
        return _failed(result.fail(f"a signed checkpoint says the log had {max(beyond)} events; "
                                   f"only {size} are left", seq=size + 1))
    result.root_hash = compact.root().hex()
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
