"""Appending to the hash chain and checking it.

Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock, on SQLite by the database
write lock (docintel opens SQLite transactions IMMEDIATE). The lock is held until the caller's
transaction ends, so the next writer reads a head that is committed; the primary key on ``seq`` is the
last guard: two events can never share a place in the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Field
from django.utils import timezone

from . import keys
from .canonical import (
    EVENT_FIELDS,
    GENESIS_HASH,
    checkpoint_message,
    checkpoint_signature_valid,
    load_public_key,
)
from .models import AuditCheckpoint, AuditEvent, format_time

# Any fixed number: the key of the PostgreSQL advisory lock that serialises appends ("audit" in ASCII).
APPEND_LOCK_KEY = 0x6175646974
VERIFY_BATCH = 20_000

_encode = json.encoder.encode_basestring_ascii


def canonical_event_bytes(seq: int, time: str, action: str, actor_id: int | None, actor_username: str,
                          actor_role: str, document_id: str | None, purpose: str, details_json: str,
                          sensitive: str, prev_hash: str) -> bytes:
    """``audit.canonical.canonical_json`` of an event's record, built directly from its columns.

    The same bytes as the reference (a test holds them equal), written as one f-string with the keys in
    sorted order, because it runs once per event verified. ``details_json`` is stored canonical already;
    ``prev_hash`` (checked to be the previous hash), ``seq`` and ``time`` (read from typed columns)
    need no escaping.
    """
    encode = _encode
    return (
        f'{{"action":{encode(action)},"actor_id":{"null" if actor_id is None else actor_id},'
        f'"actor_role":{encode(actor_role)},"actor_username":{encode(actor_username)},'
        f'"details":{details_json},"document_id":{"null" if document_id is None else encode(document_id)},'
        f'"prev_hash":"{prev_hash}","purpose":{encode(purpose)},"sensitive":{encode(sensitive)},'
        f'"seq":{seq},"time":"{time}"}}'
    ).encode("ascii")


# Stand-ins for what only the head can tell; control characters never appear unescaped in field values.
_PREV_MARK, _SEQ_MARK = "\x01prev\x01", "\x01seq\x01"


def canonical_parts(action: str, actor_id: int | None, actor_username: str, actor_role: str,
                    document_id: str | None, purpose: str, details_json: str,
                    sensitive: str) -> tuple[str, str]:
    """The canonical text before ``prev_hash`` and between it and ``seq`` (``,"time":"…"}`` closes
    it): what the ``audit_append`` SQL function completes under the lock."""
    # Markers stand in for seq and prev_hash: the f-string takes any text where a number goes.
    seq_mark: Any = _SEQ_MARK
    text = canonical_event_bytes(seq_mark, "", action, actor_id and int(actor_id), actor_username,
                                 actor_role, document_id, purpose, details_json, sensitive,
                                 _PREV_MARK).decode("ascii")
    before_prev, _, rest = text.partition(_PREV_MARK)
    return before_prev, rest.partition(_SEQ_MARK)[0]


def lock_for_append() -> None:
    """Wait for the right to append; held until the current transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_KEY])
    # SQLite: the transaction already holds the database write lock (IMMEDIATE), or takes it at the
    # insert; either way no other writer can append between our read of the head and our insert.


def head() -> tuple[int, str]:
    """(seq, hash) of the last event; (0, GENESIS_HASH) for an empty log."""
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SQL)
        return cursor.fetchone() or (0, GENESIS_HASH)


_TABLE = AuditEvent._meta.db_table
_HEAD_SQL = f"SELECT seq, hash FROM {_TABLE} ORDER BY seq DESC LIMIT 1"
_INSERT_SQL = (f"INSERT INTO {_TABLE} ({', '.join(EVENT_FIELDS)}) "
               f"VALUES ({', '.join(['%s'] * len(EVENT_FIELDS))})")

# PostgreSQL: lock, read the head, hash and insert in ONE round trip, so that the lock (held until the
# caller commits) waits on no client. Each statement of a VOLATILE function sees a new snapshot, so the
# head is read after the lock is granted. The time is taken under the lock, formatted as format_time().
PG_APPEND_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append(
    p_before_prev text, p_before_seq text, p_action text, p_actor_id bigint, p_actor_username text,
    p_actor_role text, p_document_id uuid, p_purpose text, p_details text, p_sensitive text)
RETURNS TABLE (new_seq bigint, new_time timestamptz, new_prev_hash varchar, new_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({APPEND_LOCK_KEY});
    SELECT e.seq + 1, e.hash INTO new_seq, new_prev_hash FROM {_TABLE} e ORDER BY e.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        new_seq := 1;
        new_prev_hash := '{GENESIS_HASH}';
    END IF;
    new_time := date_trunc('microseconds', clock_timestamp());
    new_hash := encode(sha256(convert_to(
        p_before_prev || new_prev_hash || p_before_seq || new_seq::text || ',"time":"'
        || to_char(new_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"}}', 'UTF8')), 'hex');
    INSERT INTO {_TABLE} ({', '.join(EVENT_FIELDS)})
        VALUES (new_seq, new_time, p_action, p_actor_id, p_actor_username, p_actor_role, p_document_id,
                p_purpose, p_details, p_sensitive, new_prev_hash, new_hash);
    RETURN NEXT;
END
$$;
"""


def append(*, action: str, actor_id, actor_username: str, actor_role: str, document_id: str | None,
           purpose: str, details_json: str, sensitive: str) -> AuditEvent:
    """Write the next event, inside the caller's atomic block; returns it."""
    fields = {"action": action, "actor_id": actor_id, "actor_username": actor_username,
              "actor_role": actor_role, "document_id": document_id, "purpose": purpose,
              "details": details_json, "sensitive": sensitive}
    if connection.vendor == "postgresql":
        before_prev, before_seq = canonical_parts(action, actor_id, actor_username, actor_role, document_id,
                                                  purpose, details_json, sensitive)
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM audit_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", [
                before_prev, before_seq, action, actor_id, actor_username, actor_role, document_id, purpose,
                details_json, sensitive])
            seq, now, prev_hash, digest = cursor.fetchone()
    else:  # SQLite: the database write lock serialises this transaction
        seq, prev_hash = head()
        seq += 1
        now = timezone.now()
        digest = hashlib.sha256(canonical_event_bytes(
            seq, format_time(now), action, actor_id, actor_username, actor_role, document_id, purpose,
            details_json, sensitive, prev_hash)).hexdigest()
        event = AuditEvent(seq=seq, time=now, prev_hash=prev_hash, hash=digest, **fields)
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_SQL, [
                field.get_db_prep_save(getattr(event, field.attname), connection) for field in _FIELDS])
    if seq % settings.AUDIT_CHECKPOINT_EVERY == 0:
        make_checkpoint(seq, digest, reason="interval")  # still under the lock: checkpoints follow the chain
    return AuditEvent(seq=seq, time=now, prev_hash=prev_hash, hash=digest, **fields)


_FIELDS: list[Field] = [AuditEvent._meta.get_field(name) for name in EVENT_FIELDS]  # type: ignore[misc]


def make_checkpoint(size: int, head_hash: str, *, reason: str) -> AuditCheckpoint:
    signed_at = format_time(timezone.now())
    return AuditCheckpoint.objects.create(
        size=size, head_hash=head_hash, time=signed_at, key_id=keys.signing_key_id(),
        signature=keys.sign(checkpoint_message(size, head_hash, signed_at)), reason=reason)


# --- Verification ------------------------------------------------------------------------------------
@dataclass
class Verification:
    ok: bool = True
    count: int = 0
    verified_up_to: int = 0  # the last seq whose hash and link checked out
    head_hash: str = GENESIS_HASH
    first_bad_seq: int | None = None
    error: str = ""
    checkpoints: int = 0
    last_checkpoint: dict | None = None

    def fail(self, seq: int | None, message: str) -> Verification:
        self.ok = False
        self.first_bad_seq = seq
        self.error = message
        return self

    def as_dict(self) -> dict:
        return asdict(self)


_PG_ROWS_SQL = (
    # Time and document id as the text the hash was made of: formatting a million timestamps and UUIDs
    # in Python would cost more than everything else the verifier does.
    f"SELECT seq, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), action, actor_id, "
    f"actor_username, actor_role, document_id::text, purpose, details, sensitive, prev_hash, hash "
    f"FROM {_TABLE} WHERE seq > %s ORDER BY seq LIMIT %s"
)


def rows(after_seq: int, until_seq: int | None = None) -> Iterator[tuple]:
    """Events after ``after_seq`` (up to ``until_seq``) in order, as tuples of ``EVENT_FIELDS`` with
    time and document id as text, streamed in batches (keyset pagination: no OFFSET)."""
    while until_seq is None or after_seq < until_seq:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_PG_ROWS_SQL, [after_seq, VERIFY_BATCH])
                batch = cursor.fetchall()
        else:
            batch = [(seq, format_time(time), action, actor_id, username, role,
                      None if document_id is None else str(document_id), *rest)
                     for seq, time, action, actor_id, username, role, document_id, *rest
                     in AuditEvent.objects.filter(seq__gt=after_seq).order_by("seq")
                     .values_list(*EVENT_FIELDS)[:VERIFY_BATCH]]
        if until_seq is not None:
            batch = [row for row in batch if row[0] <= until_seq]
        if not batch:
            return
        yield from batch
        after_seq = batch[-1][0]


def verify_chain(*, after_seq: int = 0, after_hash: str = GENESIS_HASH) -> Verification:
    """Recompute every hash and link after ``after_seq`` (whose hash the caller vouches for), and check
    every signed checkpoint against the chain. The first problem stops the walk and is named."""
    result = Verification(verified_up_to=after_seq, head_hash=after_hash)
    public_key, signer = load_public_key(keys.public_key_pem()), keys.signing_key_id()
    checkpoints: dict[int, list[dict]] = {}
    for checkpoint in AuditCheckpoint.objects.order_by("size", "id"):
        data = checkpoint.as_dict()
        if checkpoint.key_id != signer or not checkpoint_signature_valid(data, public_key):
            return result.fail(checkpoint.size, f"checkpoint at size {checkpoint.size} has a bad signature")
        checkpoints.setdefault(checkpoint.size, []).append(data)

    expected_seq, prev = after_seq + 1, after_hash
    sha256 = hashlib.sha256
    for (seq, time, action, actor_id, username, role, document_id, purpose, details, sensitive,
         prev_hash, digest) in rows(after_seq):
        if seq != expected_seq:
            return result.fail(expected_seq, f"event {expected_seq} is missing (next is {seq})")
        if prev_hash != prev:
            return result.fail(seq, f"event {seq} does not link to event {seq - 1} (prev_hash differs)")
        computed = sha256(canonical_event_bytes(
            seq, time, action, actor_id, username, role, document_id, purpose, details, sensitive, prev_hash,
        )).hexdigest()
        if computed != digest:
            return result.fail(seq, f"event {seq} was altered (its hash does not match its content)")
        for signed in checkpoints.get(seq, ()):
            if signed["head_hash"] != digest:
                return result.fail(seq, f"event {seq} differs from the checkpoint signed at {signed['time']}")
            result.checkpoints += 1
            result.last_checkpoint = signed
        prev, expected_seq = digest, seq + 1
        result.count += 1
        result.verified_up_to, result.head_hash = seq, digest
    beyond = [size for size in checkpoints if size >= expected_seq]
    if beyond:
        return result.fail(expected_seq, f"a signed checkpoint says the log had {max(beyond)} events; "
                           f"only {expected_seq - 1} are left")
    return result


def time_range_to_seqs(since: datetime | None, until: datetime | None) -> tuple[int, int] | None:
    """The contiguous range of seqs whose events fall in [since, until); None when it holds none."""
    events = AuditEvent.objects.all()
    if since:
        events = events.filter(time__gte=since)
    if until:
        events = events.filter(time__lt=until)
    first = events.order_by("seq").values_list("seq", flat=True).first()
    last = events.order_by("-seq").values_list("seq", flat=True).first()
    return None if first is None or last is None else (first, last)
