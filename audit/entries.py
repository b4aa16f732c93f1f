"""Events as the bytes the tree hashes, read from the database in bulk.

The canonical form is ``audit.canonical.canonical_json`` of an event's record; ``canonical_event_bytes``
builds the same bytes straight from the columns (a test holds them equal), because it runs once per
event integrated or verified.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC

from django.db import connection

from .canonical import EVENT_FIELDS
from .models import AuditEvent, AuditLeaf, format_time

_encode = json.encoder.encode_basestring_ascii

# The JSON form of values that repeat from event to event (actions, actors, roles, purposes, a
# document's id across its pipeline), kept: escaping them again for every event was a fifth of the
# verifier's time (measured, bench/audit_bench.py). A dict whose misses fill it, so that a hit is one
# subscript in C; free-text purposes can be many, so each starts again rather than grow past
# ``_KNOWN_MAX``.
_KNOWN_MAX = 4096


class _JsonForms(dict):
    """{value: its JSON text}: strings escaped (ASCII), None as null, integers as digits."""

    def __missing__(self, value) -> str:
        if len(self) >= _KNOWN_MAX:
            self.clear()
        form = self[value] = "null" if value is None else (
            _encode(value) if isinstance(value, str) else str(int(value)))
        return form


# Apart, so that the string "1" and the number 1 never share an entry (1 == True too).
_text = _JsonForms()  # actions, usernames, roles, purposes, document ids
_number = _JsonForms()  # actor ids


def leaf_entries(rows: list[tuple]) -> list[bytes]:
    """What the tree hashes for each row of ``leaf_rows`` (index, stored leaf, the event's fields as
    ``EVENT_FIELDS``): 0x00 then ``canonical_json`` of the event's record but its hash, the keys in
    sorted order. One comprehension over a batch: the verifier runs it for every event, and a call per
    event cost a third more (measured). ``details`` is stored canonical already; ``prev_hash`` (hex or
    ""), ``seq`` and ``time`` (typed columns) need no escaping. Raises TypeError for a row whose event
    is gone (its fields are None) and UnicodeEncodeError for text that was never canonical."""
    text, number, encode = _text, _number, _encode
    return [
        f'\x00{{"action":{text[action]},"actor_id":{number[actor_id]},"actor_role":{text[role]},'
        f'"actor_username":{text[username]},"details":{details},"document_id":{text[document_id]},'
        f'"prev_hash":"{prev_hash}","purpose":{text[purpose]},"sensitive":{encode(sensitive)},'
        f'"seq":{seq:d},"time":"{time}"}}'.encode("ascii")
        for _, _, seq, time, action, actor_id, username, role, document_id, purpose, details, sensitive,
        prev_hash, _ in rows
    ]


def canonical_event_bytes(seq: int, time: str, action: str, actor_id: int | None, actor_username: str,
                          actor_role: str, document_id: str | None, purpose: str, details_json: str,
                          sensitive: str, prev_hash: str) -> bytes:
    """``canonical_json`` of one event's record but its hash (``leaf_entries`` without the 0x00)."""
    return leaf_entry(seq, time, action, actor_id, actor_username, actor_role, document_id, purpose,
                      details_json, sensitive, prev_hash)[1:]


def leaf_entry(seq: int, time: str, action: str, actor_id: int | None, actor_username: str,
               actor_role: str, document_id: str | None, purpose: str, details_json: str, sensitive: str,
               prev_hash: str) -> bytes:
    """What one event's leaf hashes: 0x00 then its canonical bytes (``leaf_entries`` of one row)."""
    return leaf_entries([(None, None, seq, time, action, actor_id, actor_username, actor_role, document_id,
                          purpose, details_json, sensitive, prev_hash, None)])[0]


# Where the event's fields start in a ``leaf_rows`` row, and where its prev_hash and hash are.
EVENT_AT, PREV_HASH_AT, HASH_AT = 2, 12, 13


_EVENTS = AuditEvent._meta.db_table
_LEAVES = AuditLeaf._meta.db_table
# Time and document id as the text the hash was made of: formatting a million timestamps and UUIDs in
# Python would cost more than everything else the verifier does.
_PG_COLUMNS = ("e.seq, to_char(e.time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), e.action, "
               "e.actor_id, e.actor_username, e.actor_role, e.document_id::text, e.purpose, e.details, "
               "e.sensitive, e.prev_hash, e.hash")
_SQLITE_COLUMNS = ("e.seq, e.time, e.action, e.actor_id, e.actor_username, e.actor_role, e.document_id, "
                   "e.purpose, e.details, e.sensitive, e.prev_hash, e.hash")


def _as_text(batch: list[tuple]) -> list[tuple]:
    """SQLite rows as PostgreSQL's query gives them: the time and document id in their hashed form."""
    if connection.vendor == "postgresql":
        return batch
    time_field = AuditEvent._meta.get_field("time")
    document_field = AuditEvent._meta.get_field("document_id")
    converted = []
    for seq, time, action, actor_id, username, role, document_id, *rest in batch:
        moment = time_field.to_python(time) if isinstance(time, str) else time
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        document = None if document_id is None else str(document_field.to_python(document_id))
        converted.append((seq, format_time(moment), action, actor_id, username, role, document, *rest))
    return converted


def _columns() -> str:
    return _PG_COLUMNS if connection.vendor == "postgresql" else _SQLITE_COLUMNS


def query(sql: str, params: list) -> list[tuple]:
    """Run ``sql`` (with ``{columns}`` for the event columns, aliased ``e``); rows as text tuples."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(columns=_columns(), events=_EVENTS, leaves=_LEAVES), params)
        return _as_text(cursor.fetchall())


LEAF_BATCH = 1 << 14  # leaves per read: a power of two, so that every full batch is a perfect subtree


def leaf_batches(first: int, end: int, batch: int | None = None) -> Iterator[list[tuple]]:
    """Rows ``(leaf index, stored leaf hash, *event fields)`` in tree order for leaves [first, end), as
    lists of the leaves of consecutive ranges ending at multiples of ``batch`` (after the first, each
    range starts at a multiple of ``batch`` and spans ``batch`` leaves but the last). A range yields
    fewer rows where leaves are missing. The event fields are ``EVENT_FIELDS`` with time and document id
    as text; all None where the leaf's event row is gone. Rows come as the database gives them (the
    verifier reads a million of them: no copying)."""
    batch = batch or LEAF_BATCH
    sql = (f'SELECT l."index", l.leaf_hash, {_columns()} FROM {_LEAVES} l LEFT JOIN {_EVENTS} e '
           f'ON e.seq = l.event_seq WHERE l."index" >= %s AND l."index" < %s ORDER BY l."index"')
    low = first
    while low < end:
        high = min(end, (low // batch + 1) * batch)
        with connection.cursor() as cursor:
            cursor.execute(sql, [low, high])
            rows = cursor.fetchall()
        if connection.vendor != "postgresql":  # SQLite: bytes for the hash, text for time and id
            rows = [(index, bytes(leaf), *(_as_text([tuple(rest)])[0] if rest[0] is not None else rest))
                    for index, leaf, *rest in rows]
        yield rows
        low = high



def leaf_rows(first: int, end: int) -> Iterator[tuple]:
    """``leaf_batches`` one row at a time."""
    for rows in leaf_batches(first, end):
        yield from rows


def record_of(row: tuple) -> dict:
    """An ``EVENT_FIELDS`` row as the record exports write and ``audit.canonical`` hashes."""
    record = dict(zip(EVENT_FIELDS, row, strict=True))
    record["details"] = json.loads(record["details"])
    return record
