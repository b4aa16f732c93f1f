"""The only writer of audit events.

Every change that must be on the record calls ``record_event`` inside its own transaction: the event
commits or rolls back with the change. The append takes no lock (``audit.append``): writers never wait
for each other; the sequencer adds committed events to the Merkle tree afterwards.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from docintel.accounts.roles import roles_of

from . import append, keys
from .canonical import canonical_json

ACTION_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def canonical_details(details: dict | None) -> str:
    """``details`` as stored and hashed: canonical JSON (sorted keys, no spaces, ASCII escapes).

    A round trip first turns non-string keys and tuples into what JSON readers will see.
    """
    normal = json.loads(json.dumps(details or {}, default=str, allow_nan=False))
    return canonical_json(normal).decode("ascii")


def _actor_fields(actor) -> tuple[int | None, str, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "", ""
    return actor.pk, actor.get_username(), ",".join(sorted(roles_of(actor)))


def record_event(action: str, *, document=None, actor=None, purpose: str = "", details: dict | None = None,
                 sensitive: dict | None = None):
    """Append one event, in the caller's transaction, and return it.

    ``details`` are stored in clear and must hold no PHI (ids, hashes, codes, counts, model names).
    ``sensitive`` (PHI: extracted values, prompts) is encrypted with the document's data key; after the
    document is erased the payload is withheld and ``details`` say so. ``actor`` is a User, or None for
    the system.
    """
    document_id, actor_id, username, role = _checked_subject(action, document, actor)
    if sensitive is not None and document_id is None:
        raise ValueError("a sensitive payload needs a document: it is encrypted with the document's key")
    # The connection itself, looked up once: each attribute read through ``django.db.connection`` looks
    # it up again in a context-local store (4 us, a tenth of the writer's own work per append).
    db = connections[DEFAULT_DB_ALIAS]
    if not db.in_atomic_block:  # on its own: the key it may make and the event, together
        with transaction.atomic():
            return _append(db, action, actor_id, username, role, document_id, purpose, details, sensitive)
    # Inside the caller's transaction (the usual case) no savepoint: if the append fails, the caller's
    # change must not commit without its event, so the transaction is marked for rollback even when the
    # caller catches the error (what ``atomic(savepoint=False)`` does, without its cost on every event).
    try:
        return _append(db, action, actor_id, username, role, document_id, purpose, details, sensitive)
    except BaseException:
        db.needs_rollback = True
        raise


def _checked_subject(action: str, document, actor) -> tuple[str | None, int | None, str, str]:
    """The action name checked, and the document id and actor columns of an event."""
    if not ACTION_NAME.match(action or ""):
        raise ValueError(f"audit action names are dotted lower-case words, not {action!r}")
    document_id = None if document is None else str(getattr(document, "pk", document))
    return (document_id, *_actor_fields(actor))


class PreparedEvent(NamedTuple):
    """An event checked and put in canonical form, to be appended later by ``record_prepared``."""

    action: str
    actor_id: int | None
    username: str
    role: str
    document_id: str | None
    purpose: str
    details_json: str


def prepare_event(action: str, *, document=None, actor=None, purpose: str = "",
                  details: dict | None = None) -> PreparedEvent:
    """What ``record_event`` checks and computes before it writes (no sensitive payload), done now: for
    a caller that has the event written elsewhere, in a transaction shared with other events (the
    grouped commit of reads' events, ``docintel.documents.access``). A bad event fails here, in its
    own caller, and the transaction that writes it only appends."""
    document_id, actor_id, username, role = _checked_subject(action, document, actor)
    return PreparedEvent(action, actor_id, username, role, document_id, purpose or "",
                         canonical_details(details))


def record_prepared(event: PreparedEvent):
    """Append a prepared event inside the caller's atomic block and return it (as ``record_event``)."""
    db = connections[DEFAULT_DB_ALIAS]
    if not db.in_atomic_block:
        raise RuntimeError("record_prepared appends inside the caller's transaction only")
    return append.append(
        db, action=event.action, actor_id=event.actor_id, actor_username=event.username,
        actor_role=event.role, document_id=event.document_id, purpose=event.purpose,
        details_json=event.details_json, sensitive="",
    )


def _append(db, action: str, actor_id: int | None, username: str, role: str, document_id: str | None,
            purpose: str, details: dict | None, sensitive: dict | None):
    sealed = ""
    if sensitive is not None and document_id is not None:
        sealed = _seal(document_id, json.dumps(sensitive, default=str).encode())
        if not sealed:
            details = {**(details or {}), "sensitive_withheld": "document_erased"}
    return append.append(
        db, action=action, actor_id=actor_id, actor_username=username, actor_role=role,
        document_id=document_id, purpose=purpose or "", details_json=canonical_details(details),
        sensitive=sealed,
    )


def _seal(document_id: str, payload: bytes) -> str:
    """``payload`` encrypted with the document's data key (made on first use); "" once it is erased."""
    data_key = keys.sealing_key(document_id)
    return "" if data_key == b"" else keys.seal(data_key, document_id, payload)


def read_sensitive(event) -> dict | None:
    """Decrypt an event's sensitive payload; None when it has none or the document was erased."""
    if not event.sensitive or event.document_id is None:
        return None
    clear = keys.unseal(str(event.document_id), event.sensitive)
    return None if clear is None else json.loads(clear)


def record_denial(request, required: tuple[str, ...], document=None):
    """Audit a refused request (the caller answers 403); with the document, it shows in its trail."""
    user = getattr(request, "user", None)
    return record_event(
        "access.denied", document=document, actor=user if getattr(user, "is_authenticated", False) else None,
        purpose="access control",
        details={"path": request.path, "method": request.method, "required_roles": sorted(required)},
    )
