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

BATCH = 20_000

_encode = json.encoder.encode_basestring_ascii

# The JSON form of the fields that take few distinct values (actions, actors, roles, purposes), kept:
# escaping them again for every event was a fifth of the verifier's time (measured, bench/audit_bench.py).
_KNOWN_MAX = 4096
_known: dict[str, str] = {}
_EMPTY = '""'  # an event without a sealed payload: most of them


def _encode_known(text: str) -> str:
    found = _known.get(text)
    if found is None:
        if len(_known) >= _KNOWN_MAX:
            _known.clear()  # free-text purposes can be many: start again rather than grow
        found = _known[text] = _encode(text)
    return found


def canonical_event_bytes(seq: int, time: str, action: str, actor_id: int | None, actor_username: str,
                          actor_role: str, document_id: str | None, purpose: str, details_json: str,
                          sensitive: str, prev_hash: str) -> bytes:
    """``canonical_json`` of an event's record but its hash, written as one f-string with the keys in
    sorted order. ``details_json`` is stored canonical already; ``prev_hash`` (hex or ""), ``seq`` and
    ``time`` (read from typed columns) need no escaping."""
    known, encode = _encode_known, _encode
    return (
        f'{{"action":{known(action)},"actor_id":{"null" if actor_id is None else actor_id},'
        f'"actor_role":{known(actor_role)},"actor_username":{known(actor_username)},'
        f'"details":{details_json},"document_id":{"null" if document_id is None else encode(document_id)},'
        f'"prev_hash":"{prev_hash}","purpose":{known(purpose)},'
        f'"sensitive":{encode(sensitive) if sensitive else _EMPTY},"seq":{seq},"time":"{time}"}}'
    ).encode("ascii")


def row_entry(row: tuple) -> bytes:
    """The canonical bytes of an ``EVENT_FIELDS`` row (time and document id as text)."""
    return canonical_event_bytes(*row[:11])


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


def leaf_rows(first: int, end: int | None = None) -> Iterator[tuple]:
    """Rows ``(leaf index, stored leaf hash, *event fields)`` in tree order from leaf ``first`` (to
    ``end``, exclusive), the event fields as ``EVENT_FIELDS`` with time and document id as text; all
    None where the leaf's event row is gone. Rows come as the database gives them (the verifier reads
    a million of them: no copying)."""
    upper = end if end is not None else 2**62
    while first < upper:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT l."index", l.leaf_hash, {_columns()} FROM {_LEAVES} l '
                           f"LEFT JOIN {_EVENTS} e ON e.seq = l.event_seq "
                           f'WHERE l."index" >= %s AND l."index" < %s ORDER BY l."index" LIMIT %s',
                           [first, upper, BATCH])
            batch = cursor.fetchall()
        if not batch:
            return
        if connection.vendor != "postgresql":  # SQLite: bytes for the hash, text for time and id
            batch = [(index, bytes(leaf), *(_as_text([tuple(rest)])[0] if rest[0] is not None else rest))
                     for index, leaf, *rest in batch]
        yield from batch
        first = batch[-1][0] + 1


def record_of(row: tuple) -> dict:
    """An ``EVENT_FIELDS`` row as the record exports write and ``audit.canonical`` hashes."""
    record = dict(zip(EVENT_FIELDS, row, strict=True))
    record["details"] = json.loads(record["details"])
    return record
