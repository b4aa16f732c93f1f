"""The sequencer: places committed events in the Merkle tree, in batches, as Trillian's does.

Writers only INSERT their event (``audit.append``) and never wait for each other. The sequencer, one at a
time across every process (a PostgreSQL advisory lock; SQLite's single writer), reads the committed
events not yet in the tree, gives them the next gapless leaf indices, stores the leaves and the perfect
nodes they complete, and signs a tree head when one is due, all in one transaction. After it commits,
new heads go to the witnesses.

Who runs it: a thread in every server and worker process (``start_in_background``: the first to take
the lock does the work), and ``manage.py audit_sequencer`` as a process of its own where preferred.
Commands that prove or export integrate first, so that they cover everything committed before them.

Events commit out of seq order (a long transaction holds a small number); the sequencer looks back
``LOOKBACK`` numbers below the newest it has integrated; every ``FULL_SCAN_EVERY`` rounds it looks at
every event of the last hour (``RECENT``, through the time index), and ``audit_verify`` and
``audit_sequencer --once`` at every event (``full=True``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from . import heads, merkle, tree
from .entries import leaf_entry, query
from .models import AuditEvent, AuditLeaf, AuditTreeNode, SignedTreeHead, node_id
from .witnessing import publish as publish_heads

log = logging.getLogger(__name__)

LOCK_KEY = 0x6175646974  # "audit" in ASCII: the advisory lock that makes the sequencer one at a time
LOOKBACK = 10_000
FULL_SCAN_EVERY = 120
RECENT = timedelta(hours=1)


@dataclass
class Integration:
    added: int = 0
    tree_size: int = 0
    heads: list[SignedTreeHead] = field(default_factory=list)
    busy: bool = False  # another sequencer held the lock


def _take_lock() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: this transaction's write lock is the lock
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _newest_integrated_seq() -> int:
    return AuditLeaf.objects.order_by("-event_seq").values_list("event_seq", flat=True).first() or 0


def _pending(batch: int, full: bool | str) -> list[tuple[int, bytes]]:
    """Committed events not in the tree yet, as (seq, leaf hash), in seq order: near the newest
    integrated (a normal round), in the last hour (``full="recent"``), or anywhere (``full=True``).

    A version 2 event's stored ``hash`` is its leaf hash, made by its writer from the same fields: the
    sequencer reads that and not the whole event (reading and re-encoding every field was most of its
    CPU per event, on the writers' cores). Nothing is lost by trusting it: a hash that does not match
    the event's content is what ``audit_verify`` reports either way (the stored leaf then disagrees with
    the content), and the tree commits to what the writer hashed. Version 1 events (chained, their hash
    is not a leaf hash) and any hash that is not 64 hex digits are hashed here from their fields."""
    not_in_tree = "NOT EXISTS (SELECT 1 FROM {leaves} l WHERE l.event_seq = e.seq)"
    columns = "e.seq, e.hash, e.prev_hash"
    if full is True:
        rows = _rows(f"SELECT {columns} FROM {{events}} e WHERE {not_in_tree} ORDER BY e.seq LIMIT %s",
                     [batch])
    elif full == "recent":
        rows = _rows(f"SELECT {columns} FROM {{events}} e WHERE e.time >= %s AND {not_in_tree} "
                     f"ORDER BY e.seq LIMIT %s", [timezone.now() - RECENT, batch])
    else:
        # The window's bound on the leaves too: without it PostgreSQL probed the leaves' index once per
        # event of the window (8-9 ms a round at a million leaves) or, on a small tree, read that index
        # from the first leaf; with it, one merge over the window's leaves (2.7-3.0 ms; EXPLAIN ANALYZE).
        since = max(0, _newest_integrated_seq() - LOOKBACK)
        rows = _rows(f"SELECT {columns} FROM {{events}} e WHERE e.seq > %s AND NOT EXISTS (SELECT 1 FROM "
                     f"{{leaves}} l WHERE l.event_seq = e.seq AND l.event_seq > %s) ORDER BY e.seq LIMIT %s",
                     [since, since, batch])
    stored_leaves = [None if prev_hash else _stored_leaf(stored) for _, stored, prev_hash in rows]
    missing = [row[0] for row, leaf in zip(rows, stored_leaves, strict=True) if leaf is None]
    hashed = _leaves_from_fields(missing) if missing else {}
    return [(seq, leaf if leaf is not None else hashed[seq])
            for (seq, _, _), leaf in zip(rows, stored_leaves, strict=True)]


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(events=AuditEvent._meta.db_table, leaves=AuditLeaf._meta.db_table), params)
        return cursor.fetchall()


def _stored_leaf(stored: str) -> bytes | None:
    """A version 2 event's stored hash as the leaf's 32 bytes; None if it is not 64 hex digits."""
    if len(stored) != 64:
        return None
    try:
        return bytes.fromhex(stored)
    except ValueError:
        return None


def _leaves_from_fields(seqs: list[int]) -> dict[int, bytes]:
    """{seq: SHA-256(0x00 ‖ entry)} of these events, from their fields (version 1 events, odd hashes)."""
    wanted = set(seqs)
    rows = query("SELECT {columns} FROM {events} e WHERE e.seq >= %s AND e.seq <= %s ORDER BY e.seq",
                 [min(seqs), max(seqs)])
    return {row[0]: hashlib.sha256(leaf_entry(*row[:11])).digest() for row in rows if row[0] in wanted}


_LEAF_COPY = (f'COPY {AuditLeaf._meta.db_table} ("index", event_seq, leaf_hash, integrated_at) FROM STDIN '
              f"(FORMAT BINARY)")
_NODE_COPY = f"COPY {AuditTreeNode._meta.db_table} (node_id, hash) FROM STDIN (FORMAT BINARY)"


def _store(leaves: list[tuple[int, int, bytes, datetime]], nodes: list[tuple[int, bytes]]) -> None:
    """Write a batch's leaves and nodes. On PostgreSQL by binary COPY: the ORM's bulk insert cost the
    sequencer about 50 microseconds of CPU per event, on the same cores as the writers (measured)."""
    if connection.vendor != "postgresql":
        AuditLeaf.objects.bulk_create(
            [AuditLeaf(index=index, event_seq=seq, leaf_hash=leaf, integrated_at=when)
             for index, seq, leaf, when in leaves], batch_size=2000)
        AuditTreeNode.objects.bulk_create([AuditTreeNode(node_id=key, hash=digest) for key, digest in nodes],
                                          batch_size=2000)
        return
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no COPY
        with raw.copy(_LEAF_COPY) as copy:
            copy.set_types(["int8", "int8", "bytea", "timestamptz"])
            for leaf_row in leaves:
                copy.write_row(leaf_row)
        with raw.copy(_NODE_COPY) as copy:
            copy.set_types(["int8", "bytea"])
            for node_row in nodes:
                copy.write_row(node_row)


def _integrate_batch(batch: int, full: bool | str) -> Integration:
    with transaction.atomic():
        if not _take_lock():
            return Integration(busy=True)
        size = tree.size()
        pending = _pending(batch, full)
        latest = tree.latest_head()
        result = Integration(tree_size=size)
        if pending:
            now = timezone.now()
            compact = _border_at(size)
            leaves: list[tuple[int, int, bytes, datetime]] = []
            nodes: list[tuple[int, bytes]] = []
            for seq, leaf in pending:
                leaves.append((compact.size, seq, leaf, now))
                nodes.extend((node_id(level, index), digest)
                             for (level, index), digest in compact.append(leaf) if level > 0)
            _store(leaves, nodes)
            end = (connection.alias, connection.settings_dict["NAME"], compact.size, leaves[-1][2])
            transaction.on_commit(partial(_remember_border, end, list(compact.border)))
            result.added, result.tree_size = len(pending), compact.size
            reason = heads.due(compact.size, latest)
            if reason:
                result.heads.append(heads.sign_head(compact.size, compact.root(), reason=reason))
        elif latest is not None and latest.tree_size < size:  # a quiet log still gets its last head
            reason = heads.due(size, latest)
            if reason:
                result.heads.append(heads.sign_head(size, _border_at(size).root(), reason=reason))
    return result


# The tree's border as this process's last committed integration left it: where the next round goes on,
# instead of reading it back from stored nodes, which a damaged node would then carry into every node and
# head the sequencer makes after it. Kept with the database and the last leaf it ends on, so that a tree
# of the same size that is not this one (a restored or re-created database) is not taken for it. Read
# again, checked against the last signed head as heads signed on demand are (``heads.checked_range``),
# when the tree is not as this process left it (another process integrated since, or this one started).
_border: tuple[tuple, list[bytes]] = ((), [])


def _tree_end(size: int) -> tuple:
    last = AuditLeaf.objects.filter(index=size - 1).values_list("leaf_hash", flat=True).first()
    return (connection.alias, connection.settings_dict["NAME"], size, None if last is None else bytes(last))


def _remember_border(end: tuple, border: list[bytes]) -> None:
    global _border
    _border = (end, border)


def _border_at(size: int) -> merkle.CompactRange:
    known_end, border = _border
    if size and known_end == _tree_end(size):
        return merkle.CompactRange(size, list(border))
    return heads.checked_range(size, against_events=False)


def integrate(*, batch: int | None = None, full: bool | str = False, publish: bool = True) -> Integration:
    """Integrate every committed pending event (in batches); returns what was done. Publishes new heads
    to the witnesses after they commit."""
    total = Integration()
    while True:
        step = _integrate_batch(batch or settings.AUDIT_INTEGRATE_BATCH, full)
        if step.busy:
            total.busy = True
            break
        total.added += step.added
        total.tree_size = step.tree_size
        total.heads.extend(step.heads)
        if step.added < (batch or settings.AUDIT_INTEGRATE_BATCH):
            break
    if publish and total.heads:
        publish_heads(total.heads)
    return total


def integrate_now(*, full: bool = False, wait_s: float = 30.0) -> Integration:
    """Integrate everything committed so far, waiting for a sequencer that holds the lock to finish
    (commands that prove or export must cover every event committed before them)."""
    deadline = time.monotonic() + wait_s
    while True:
        result = integrate(full=full)
        if not result.busy or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def lag() -> dict:
    """How far the tree is behind the log: pending events and the age of the oldest."""
    newest = _newest_integrated_seq()
    pending = AuditEvent.objects.filter(seq__gt=max(0, newest - LOOKBACK)).exclude(
        seq__in=AuditLeaf.objects.filter(event_seq__gt=max(0, newest - LOOKBACK)).values("event_seq"))
    summary = pending.aggregate(oldest=Min("time"), count=Count("seq"))
    oldest = summary["oldest"]
    age = max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0
    return {"pending": summary["count"], "oldest_pending_s": round(age, 3),
            "alert": age > settings.AUDIT_LAG_ALERT_S}


_started = threading.Lock()


def start_in_background(**signal_kwargs) -> None:
    """Run the sequencer from a thread of this process (servers and workers; never at import, so that
    a server that forks after loading the app does not share the thread). ``AUDIT_INTEGRATE_EVERY_S``
    of 0 turns it off: a deployment that runs ``audit_sequencer`` as a service of its own."""
    if settings.AUDIT_INTEGRATE_EVERY_S <= 0 or not _started.acquire(blocking=False):
        return

    def loop() -> None:
        rounds = 0
        while True:
            try:
                integrate(full="recent" if rounds % FULL_SCAN_EVERY == 0 else False)
            except Exception as error:  # the database may be migrating or busy: try again later
                log.warning("audit sequencer round failed: %s", type(error).__name__)
            finally:
                close_old_connections()
                connection.close()
            rounds += 1
            time.sleep(settings.AUDIT_INTEGRATE_EVERY_S)

    threading.Thread(target=loop, name="docintel-audit-sequencer", daemon=True).start()
