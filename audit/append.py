"""Appending an event: one INSERT in the caller's transaction, and nothing that makes writers wait for
each other.

Version 1 of the log hash-chained every event to the one before, so each append held a lock until its
transaction committed and writers queued behind one another (0.32x a plain insert). Now an event's hash
depends on nothing but its own fields (its Merkle leaf hash, ``audit.canonical``); its ``seq`` comes from
a database sequence; the sequencer (``audit.sequencer``) places committed events in the tree afterwards,
in batches. Until then the event is *pending*: already verifiable by its own hash.

On PostgreSQL each process takes its numbers from the sequence in small blocks (``SEQ_BLOCK``, never
kept longer than ``SEQ_BLOCK_MAX_AGE_S``), so that the append is the INSERT alone: the hash is made in
Python, where it costs microseconds, not in a second round trip or in SQL (measured: 0.1 ms more per
event). So ``seq`` is unique, and increasing within a process; across processes two events may be
numbered out of time order by up to a second. The log's order is the tree's (``AuditLeaf.index``),
and ``time`` says when.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time
import weakref
from collections import deque

import psycopg
from django.db.models import Field
from django.utils import timezone
from psycopg.types.numeric import Int8

from .canonical import EVENT_FIELDS
from .entries import leaf_entry
from .models import AuditEvent, format_time

_TABLE = AuditEvent._meta.db_table
EVENT_SEQUENCE = "audit_event_seq"  # PostgreSQL: the sequence that numbers events (migration 0004)

SEQ_BLOCK = 32
SEQ_BLOCK_MAX_AGE_S = 1.0


class _SeqBlock:
    """Numbers taken from the sequence and not used yet, by this process (a forked child starts
    afresh: it must never reuse its parent's numbers)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.pid, self.taken_at = os.getpid(), 0.0
        self.numbers: deque[int] = deque()

    def next(self, cursor) -> int:
        with self.lock:
            stale = time.monotonic() - self.taken_at > SEQ_BLOCK_MAX_AGE_S
            if self.pid != os.getpid() or stale or not self.numbers:
                cursor.execute(_NEXT_BLOCK_SQL, ())
                self.numbers = deque(row[0] for row in cursor.fetchall())
                self.pid, self.taken_at = os.getpid(), time.monotonic()
            return self.numbers.popleft()


_NEXT_BLOCK_SQL = f"SELECT nextval('{EVENT_SEQUENCE}') FROM generate_series(1, {SEQ_BLOCK})"
_block = _SeqBlock()
os.register_at_fork(after_in_child=_block.reset)


def _insert_sql(constants: dict[str, str]) -> str:
    places = ", ".join(constants.get(name, "%s") for name in EVENT_FIELDS)
    return f"INSERT INTO {_TABLE} ({', '.join(EVENT_FIELDS)}) VALUES ({places})"


# Values that are constants go into the SQL text: each parameter costs the driver microseconds to adapt
# and quote. prev_hash (the version 1 chain's link) is always empty now; system events (no actor: model
# inferences, pipeline stages), most of the log, have three more.
_INSERT_SQL = _insert_sql({"prev_hash": "''"})
_INSERT_SYSTEM_SQL = _insert_sql({"prev_hash": "''", "actor_id": "NULL", "actor_username": "''",
                                  "actor_role": "''"})
# The model's fields in EVENT_FIELDS order, so that the returned event is built from positional values
# (half the cost of keywords).
assert [field.attname for field in AuditEvent._meta.concrete_fields] == list(EVENT_FIELDS)


def _sqlite_value(name: str):
    """How a value goes into this column on SQLite: as Django stores it (UUIDs as 32 hex digits, times as
    text). PostgreSQL takes the values as they are (psycopg adapts them)."""
    field: Field = AuditEvent._meta.get_field(name)  # type: ignore[assignment]
    return lambda value, db: value if value is None else field.get_db_prep_save(value, db)


_sqlite_time, _sqlite_document = _sqlite_value("time"), _sqlite_value("document_id")


def append(db, *, action: str, actor_id, actor_username: str, actor_role: str, document_id: str | None,
           purpose: str, details_json: str, sensitive: str) -> AuditEvent:
    """Write one event through the connection ``db``, inside the caller's atomic block; returns it
    (pending: not yet in the tree). The INSERT's parameters are built by hand: the model's per-field
    preparation costs as much as a third of the append (measured, bench/audit_bench.py)."""
    now = timezone.now()
    stamp = format_time(now)
    system = actor_id is None and not actor_username and not actor_role
    if db.vendor == "postgresql":
        cursor = _PreparedStatements.cursor(db)
        seq = _block.next(cursor)
        digest = hashlib.sha256(leaf_entry(seq, stamp, action, actor_id, actor_username, actor_role,
                                           document_id, purpose, details_json, sensitive, "")).hexdigest()
        # The time as the text that is hashed (UTC, "Z"): PostgreSQL reads it exactly, and a string is
        # the cheapest value for the driver to send (a datetime costs it 4 us to format).
        if system:
            cursor.execute(_INSERT_SYSTEM_SQL, (Int8(seq), stamp, action, document_id, purpose,
                                                  details_json, sensitive, digest))
        else:
            cursor.execute(_INSERT_SQL, (Int8(seq), stamp, action, actor_id, actor_username, actor_role,
                                           document_id, purpose, details_json, sensitive, digest))
    else:
        with db.cursor() as cursor:
            # SQLite has one writer at a time (transactions are IMMEDIATE): the largest plus one, under
            # the write lock.
            cursor.execute(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {_TABLE}")
            (seq,) = cursor.fetchone()
            digest = hashlib.sha256(leaf_entry(seq, stamp, action, actor_id, actor_username, actor_role,
                                               document_id, purpose, details_json, sensitive, "")).hexdigest()
            time_value, document_value = _sqlite_time(now, db), _sqlite_document(document_id, db)
            if system:
                cursor.execute(_INSERT_SYSTEM_SQL, [seq, time_value, action, document_value, purpose,
                                                    details_json, sensitive, digest])
            else:
                cursor.execute(_INSERT_SQL, [seq, time_value, action, actor_id, actor_username, actor_role,
                                             document_value, purpose, details_json, sensitive, digest])
    return AuditEvent(seq, now, action, actor_id, actor_username, actor_role, document_id, purpose,
                      details_json, sensitive, "", digest)


class _PreparingCursor(psycopg.Cursor):
    """A server-binding cursor whose every statement is prepared: psycopg keeps each connection's
    prepared statements, so the server plans a statement once per connection."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


# Django opens psycopg connections with ``prepare_threshold=None``, which turns preparing off altogether,
# even where asked for. This threshold turns it back on for statements that ask (``prepare=True``) and
# never prepares any other by itself: Django's own cursors bind on the client and are never prepared.
_ONLY_WHEN_ASKED = sys.maxsize


class _PreparedStatements:
    """PostgreSQL: the event's INSERT (and the sequence block's SELECT) as prepared statements, run on the
    caller's connection, in its transaction, through Django's cursor wrapper (its error types and execute
    wrappers as for any other query). Django's own cursors bind on the client: each append
    had the driver quote every value into the SQL text and the server parse and plan the INSERT again.
    Django turns psycopg's automatic preparing off for connection poolers that cannot keep prepared
    statements (PgBouncer before 1.21 in transaction mode: see audit/README.md).
    One psycopg cursor per psycopg connection (a Django connection belongs to one thread; a reconnect
    makes a new psycopg connection and so a new cursor)."""

    _cursors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @classmethod
    def cursor(cls, db):
        if db.queries_logged:
            # The query log (DEBUG, tests' query capture) reads each query's text back from the driver,
            # which a prepared statement does not keep: there, Django's own cursor, logged as any query.
            return db.cursor()
        if db.connection is None:
            db.ensure_connection()
        raw = db.connection
        cursor = cls._cursors.get(raw)
        if cursor is None or cursor.closed:
            if raw.prepare_threshold is None:
                raw.prepare_threshold = _ONLY_WHEN_ASKED
            cursor = cls._cursors[raw] = _PreparingCursor(raw)
        return db.make_cursor(cursor)
