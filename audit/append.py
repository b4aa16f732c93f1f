"""Appending an event: one INSERT in the caller's transaction, and nothing that makes writers wait for
each other.

Version 1 of the log hash-chained every event to the one before, so each append held a lock until its
transaction committed and writers queued behind one another (0.32x a plain insert). Now an event's hash
depends on nothing but its own fields (its Merkle leaf hash, ``audit.canonical``); its ``seq`` comes from
a database sequence; the sequencer (``audit.sequencer``) places committed events in the tree afterwards,
in batches. Until then the event is *pending*: already verifiable by its own hash.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection
from django.db.models import Field
from django.utils import timezone

from .entries import canonical_event_bytes
from .models import AuditEvent, format_time

_TABLE = AuditEvent._meta.db_table
EVENT_SEQUENCE = "audit_event_seq"  # PostgreSQL: the sequence that numbers events (migration 0004)

# PostgreSQL: number, stamp, hash and insert in ONE round trip, with no lock: the sequence hands every
# writer its own number at once. The time is taken in the server, formatted as format_time() formats it.
PG_APPEND_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append_v2(
    p_before_seq text, p_action text, p_actor_id bigint, p_actor_username text, p_actor_role text,
    p_document_id uuid, p_purpose text, p_details text, p_sensitive text)
RETURNS TABLE (new_seq bigint, new_time timestamptz, new_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    new_seq := nextval('{EVENT_SEQUENCE}');
    new_time := date_trunc('microseconds', clock_timestamp());
    new_hash := encode(sha256('\\x00'::bytea || convert_to(
        p_before_seq || new_seq::text || ',"time":"'
        || to_char(new_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"}}', 'UTF8')), 'hex');
    INSERT INTO {_TABLE} (seq, time, action, actor_id, actor_username, actor_role, document_id, purpose,
                          details, sensitive, prev_hash, hash)
        VALUES (new_seq, new_time, p_action, p_actor_id, p_actor_username, p_actor_role, p_document_id,
                p_purpose, p_details, p_sensitive, '', new_hash);
    RETURN NEXT;
END
$$;
"""

_SEQ_MARK = "\x01seq\x01"  # stands in for the number only the database can give; never in a value


def text_before_seq(action: str, actor_id: int | None, actor_username: str, actor_role: str,
                    document_id: str | None, purpose: str, details_json: str, sensitive: str) -> str:
    """The event's canonical text up to its ``seq`` (``seq`` and ``time`` are the last two keys), which
    ``audit_append_v2`` completes with the number and time it takes."""
    seq_mark: Any = _SEQ_MARK  # the f-string takes any text where a number goes
    text = canonical_event_bytes(seq_mark, "", action, actor_id and int(actor_id), actor_username, actor_role,
                                 document_id, purpose, details_json, sensitive, "").decode("ascii")
    return text.partition(_SEQ_MARK)[0]


_FIELDS: list[Field] = [AuditEvent._meta.get_field(name) for name in  # type: ignore[misc]
                        ("seq", "time", "action", "actor_id", "actor_username", "actor_role", "document_id",
                         "purpose", "details", "sensitive", "prev_hash", "hash")]
_INSERT_SQL = (f"INSERT INTO {_TABLE} ({', '.join(field.column for field in _FIELDS)}) "
               f"VALUES ({', '.join(['%s'] * len(_FIELDS))})")


def append(*, action: str, actor_id, actor_username: str, actor_role: str, document_id: str | None,
           purpose: str, details_json: str, sensitive: str) -> AuditEvent:
    """Write one event inside the caller's atomic block; returns it (pending: not yet in the tree)."""
    fields = {"action": action, "actor_id": actor_id, "actor_username": actor_username,
              "actor_role": actor_role, "document_id": document_id, "purpose": purpose,
              "details": details_json, "sensitive": sensitive}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM audit_append_v2(%s, %s, %s, %s, %s, %s, %s, %s, %s)", [
                text_before_seq(action, actor_id, actor_username, actor_role, document_id, purpose,
                                details_json, sensitive),
                action, actor_id, actor_username, actor_role, document_id, purpose, details_json, sensitive])
            seq, now, digest = cursor.fetchone()
        return AuditEvent(seq=seq, time=now, prev_hash="", hash=digest, **fields)
    # SQLite has one writer at a time (docintel opens its transactions IMMEDIATE): the next number is
    # the largest plus one, read under the write lock this transaction holds.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {_TABLE}")
        (seq,) = cursor.fetchone()
        now = timezone.now()
        digest = hashlib.sha256(b"\x00" + canonical_event_bytes(
            seq, format_time(now), action, actor_id, actor_username, actor_role, document_id, purpose,
            details_json, sensitive, "")).hexdigest()
        event = AuditEvent(seq=seq, time=now, prev_hash="", hash=digest, **fields)
        cursor.execute(_INSERT_SQL, [field.get_db_prep_save(getattr(event, field.attname), connection)
                                     for field in _FIELDS])
    return event
