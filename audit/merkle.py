"""The Merkle tree of RFC 6962 / RFC 9162 over the audit log, as pure functions (no Django, no database),
so that the stand-alone verifier and the witness use exactly the code the server proves with.

Hashing: a leaf is SHA-256(0x00 ‖ entry), an inner node SHA-256(0x01 ‖ left ‖ right); the tree over n
leaves splits at the largest power of two below n. Every subtree of that tree whose size is a power of
two 2^h starts at a multiple of 2^h: it is a *perfect node* named (level h, index start >> h), and the
server stores those (``audit.tree``). Any other subtree is the right edge of the tree and is folded from
O(log n) perfect nodes, so that no proof reads more than O(log n) stored hashes.

Proof generation takes a ``lookup`` callable from a list of (level, index) to their hashes: the caller
asks for every node a proof needs in one batch (one database query), not one at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

Node = tuple[int, int]  # (level, index): the perfect subtree [index << level, (index + 1) << level)
Lookup = Callable[[list[Node]], dict[Node, bytes]]

EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 6962: the hash of an empty tree


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two strictly below ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


# --- Which stored nodes a subtree needs --------------------------------------------------------------
def perfect_nodes(lo: int, hi: int) -> list[Node]:
    """The perfect nodes whose hashes fold into the subtree hash of leaves [lo, hi), left to right."""
    nodes = []
    while hi > lo:
        size = hi - lo
        if size & (size - 1) == 0:  # a power of two: one stored node
            level = size.bit_length() - 1
            nodes.append((level, lo >> level))
            break
        k = split_point(size)
        level = k.bit_length() - 1
        nodes.append((level, lo >> level))
        lo += k
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The subtree hash from its perfect nodes (as ``perfect_nodes`` lists them): folded from the right."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def subtree_hashes(ranges: Sequence[tuple[int, int]], lookup: Lookup) -> list[bytes]:
    """The hash of each subtree [lo, hi), reading every perfect node they need in one ``lookup``."""
    needed = [perfect_nodes(lo, hi) for lo, hi in ranges]
    found = lookup(sorted({node for nodes in needed for node in nodes}))
    missing = {node for nodes in needed for node in nodes} - set(found)
    if missing:
        raise LookupError(f"the tree store lacks {len(missing)} node(s), e.g. {min(missing)}")
    return [fold([found[node] for node in nodes]) for nodes in needed]


# --- Proof shapes (RFC 6962 §2.1.1 and §2.1.2), as the subtrees whose hashes they list -----------------
def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The subtrees whose hashes make the inclusion path of leaf ``index`` in a tree of ``size``,
    bottom-up (the order RFC 9162 verifies them in)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    return ranges[::-1]


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The subtrees whose hashes make the consistency proof from size ``old`` to ``new``, in the order
    RFC 9162 verifies them (empty when old is 0 or old == new)."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to {new}")
    if old in (0, new):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, whole = 0, new, True  # whole: the old tree is still exactly the subtree at hand
    m = old
    while True:
        size = hi - lo
        if m == size:
            if not whole:
                ranges.append((lo, hi))
            break
        k = split_point(size)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    return ranges[::-1]


def root(size: int, lookup: Lookup) -> bytes:
    return EMPTY_ROOT if size == 0 else subtree_hashes([(0, size)], lookup)[0]


# --- Verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ---------------------------------------------------
def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root that ``path`` proves ``leaf`` at ``index`` to be in; None when the path cannot be one."""
    if not 0 <= index < size:
        return None
    fn, sn, result = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return result if sn == 0 else None


def inclusion_valid(index: int, size: int, leaf: bytes, path: Sequence[bytes], expected_root: bytes) -> bool:
    return root_from_inclusion(index, size, leaf, path) == expected_root


def consistency_valid(old: int, new: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]) -> bool:
    """Whether ``path`` proves that the tree of size ``new`` with ``new_root`` extends the tree of size
    ``old`` with ``old_root`` (append-only growth)."""
    if not 0 <= old <= new:
        return False
    if old == 0:
        return not path  # every tree extends the empty one
    if old == new:
        return not path and old_root == new_root
    if not path:
        return False
    proof = list(path)
    if old & (old - 1) == 0:  # the old tree is a perfect node of the new one: its root starts the walk
        proof.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = proof[0]
    for node in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and first == old_root and second == new_root


# --- Growing a tree, leaf by leaf --------------------------------------------------------------------
class CompactRange:
    """The right border of a tree of ``size`` leaves: one perfect node per set bit of ``size``, largest
    first. Appending a leaf merges equal-level nodes, which are exactly the new perfect nodes to store."""

    def __init__(self, size: int = 0, border: Sequence[bytes] = ()) -> None:
        self.size = size
        self.border = list(border)
        if len(self.border) != bin(size).count("1"):
            raise ValueError(f"a tree of size {size} has {bin(size).count('1')} border nodes")

    @staticmethod
    def border_nodes(size: int) -> list[Node]:
        """The (level, index) of the border nodes of a tree of ``size`` leaves, largest first."""
        nodes, offset = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                nodes.append((level, offset >> level))
                offset += 1 << level
        return nodes

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add one leaf; returns every perfect node it completes (the leaf itself first)."""
        index = self.size
        made: list[tuple[Node, bytes]] = [((0, index), leaf)]
        self.border.append(leaf)
        level = 0
        while index >> level & 1:  # the node just completed has a left sibling on the border: merge
            right = self.border.pop()
            left = self.border.pop()
            level += 1
            merged = node_hash(left, right)
            self.border.append(merged)
            made.append(((level, index >> level), merged))
        self.size += 1
        return made

    def push(self, leaf: bytes) -> None:
        """``append`` without reporting the nodes made: the verifier's loop, once per event. A leaf with
        an even index completes no node (half of them): it only joins the border."""
        border, size = self.border, self.size
        border.append(leaf)
        self.size = size + 1
        if size & 1:
            sha256 = hashlib.sha256
            while size & 1:
                right = border.pop()
                border[-1] = sha256(b"\x01" + border[-1] + right).digest()
                size >>= 1

    def push_subtree(self, level: int, digest: bytes) -> None:
        """Add a perfect subtree of 2**level leaves, given its hash, where the tree's size is a multiple
        of 2**level (``push`` is level 0): the verifier hashes a batch of leaves level by level."""
        if self.size & ((1 << level) - 1):
            raise ValueError(f"a subtree of {1 << level} leaves cannot start at leaf {self.size}")
        border, units = self.border, self.size >> level
        border.append(digest)
        self.size += 1 << level
        while units & 1:
            right = border.pop()
            border[-1] = node_hash(border[-1], right)
            units >>= 1

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[Node, bytes]]:
        made: list[tuple[Node, bytes]] = []
        for leaf in leaves:
            made.extend(self.append(leaf))
        return made

    def root(self) -> bytes:
        return fold(self.border) if self.border else EMPTY_ROOT


# --- A contiguous run of leaves, proved against a root (range exports) -------------------------------
def range_frame(first: int, end: int, size: int) -> list[tuple[int, int]]:
    """The subtrees outside leaves [first, end) that, with those leaves, fold to the root of a tree of
    ``size``: the maximal subtrees left and right of the range, in the tree's left-to-right order."""
    if not 0 <= first < end <= size:
        raise ValueError(f"[{first}, {end}) is not a range of a tree of size {size}")
    frame: list[tuple[int, int]] = []

    def walk(lo: int, hi: int) -> None:
        if hi <= first or lo >= end:
            frame.append((lo, hi))
        elif not (first <= lo and hi <= end):
            k = split_point(hi - lo)
            walk(lo, lo + k)
            walk(lo + k, hi)

    walk(0, size)
    return frame


def root_from_range(first: int, leaves: Sequence[bytes], size: int, frame: Sequence[bytes]) -> bytes:
    """The root of a tree of ``size`` from the leaves [first, first + len(leaves)) and the hashes of
    ``range_frame`` in order. Raises ValueError when the frame has the wrong number of hashes."""
    end = first + len(leaves)
    shape = range_frame(first, end, size)
    if len(shape) != len(frame):
        raise ValueError(f"the range needs {len(shape)} frame hashes, not {len(frame)}")
    outside = dict(zip(shape, frame, strict=True))

    def subtree(lo: int, hi: int) -> bytes:
        if (lo, hi) in outside:
            return outside[(lo, hi)]
        if hi - lo == 1:
            return leaves[lo - first]
        k = split_point(hi - lo)
        return node_hash(subtree(lo, lo + k), subtree(lo + k, hi))

    return subtree(0, size)
