"""Who may open which document, and the audited ways of opening one or being refused.

Web pages and API endpoints alike call these: ``document_for`` (404 when missing, 403 with an
``access.denied`` event when not theirs), ``visible_documents`` for lists, ``record_read`` for every
view or download of a document's content and ``record_list`` for every list of documents shown
(contract §7: every view is an event).

A read's event commits before its response goes out. Outside a transaction, the events of reads made
at the same moment by threads of one process commit together (``GroupCommit``): on SQLite every
commit queues for the database's one write lock, so one commit per request bounded throughput while
the CPUs idled (docs/BENCHMARKS.md, "REST API read paths").
"""

from __future__ import annotations

import logging
import os
import threading
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404

from audit.actions import PreparedEvent, prepare_event, record_denial, record_prepared
from docintel.accounts import roles
from docintel.accounts.models import DocumentAssignment, TokenScope
from docintel.errors import ServiceUnavailable

from .models import Document

log = logging.getLogger(__name__)


def visible_documents(user, queryset=None, *, token=None):
    """The documents ``user`` may open: all of them, their own and assigned ones, or none. A request
    made with an API token is held to the token's scope too (``TokenScope``: a service token issued
    for ``assigned`` documents sees only what its account uploaded or was assigned)."""
    queryset = Document.objects.all() if queryset is None else queryset
    scope = getattr(token, "scope", TokenScope.ALL)
    if roles.has_role(user, *roles.SEES_ALL_DOCUMENTS) and scope == TokenScope.ALL:
        return queryset
    if roles.has_role(user, *roles.READ_DOCUMENTS):
        # IN (their assignments), not a join: a join repeats a document per assignment and needs
        # DISTINCT, which made SQLite sort every visible row to serve a page of 50 (30 ms at 10,000).
        return queryset.filter(Q(uploaded_by=user) | Q(pk__in=_assigned_to(user)))
    return queryset.none()


def visible_parts(user, queryset=None, *, token=None) -> list:
    """``visible_documents`` as disjoint querysets whose sizes add up to its size, each one countable
    along a single index (the uploader's, the assignments'): counting the two halves of an OR apart is
    ten times cheaper than counting the OR (``docintel.api.listing``)."""
    queryset = Document.objects.all() if queryset is None else queryset
    scope = getattr(token, "scope", TokenScope.ALL)
    if roles.has_role(user, *roles.SEES_ALL_DOCUMENTS) and scope == TokenScope.ALL:
        return [queryset]
    if roles.has_role(user, *roles.READ_DOCUMENTS):
        return [queryset.filter(uploaded_by=user),
                queryset.filter(pk__in=_assigned_to(user)).exclude(uploaded_by=user)]
    return []


def _assigned_to(user):
    return DocumentAssignment.objects.filter(user=user).values("document_id")


def can_open(user, document, *, token=None) -> bool:
    return visible_documents(user, token=token).filter(pk=document.pk).exists()


def deny(request, required: tuple[str, ...], document=None):
    """Audit the refusal and raise 403 (rendered by the 403 template or the API error handler)."""
    record_denial(request, required, document)
    raise PermissionDenied("Your role does not allow this.")


def document_for(request, pk, *, with_text: bool = False) -> Document:
    """The document ``pk`` if the signed-in user may open it: 404 when there is none, 403 (audited)
    when it is not theirs. Without ``with_text`` the text and page offsets stay in the database."""
    try:
        pk = uuid.UUID(str(pk))
    except ValueError:
        raise Http404("no such document") from None
    documents = Document.objects.all() if with_text else Document.objects.defer("text", "page_offsets")
    visible = visible_documents(request.user, documents, token=getattr(request, "auth", None))
    document = visible.filter(pk=pk).first()  # one query when allowed
    if document is None:
        if not Document.objects.filter(pk=pk).exists():
            raise Http404("no such document")
        deny(request, roles.SEES_ALL_DOCUMENTS, pk)
    return document


def record_list(actor, document_ids, *, via: str, filters: dict) -> None:
    """The event of one list of documents shown (their names and statuses): one event per list, naming
    the documents on it, not one per row. ``filters`` hold no search terms (``q`` only says a search was
    made): what was typed can be PHI, and the log is immutable."""
    _record(prepare_event("document.listed", actor=actor, purpose="document access", details={
        "via": via, "filters": filters, "documents": [str(pk) for pk in document_ids]}))


def applied_filters(cleaned: dict) -> dict:
    """The filters of a document list as ``record_list`` records them."""
    return {name: "(search)" if name == "q" else str(value) for name, value in cleaned.items()
            if value not in (None, "")}


def record_read(document, actor, what: str, *, via: str, download: bool = False,
                not_modified: bool = False) -> None:
    """The event of one view (a page, a response) or download (a file) of a document's content.
    ``not_modified``: a conditional read answered 304 (the client holds the content already)."""
    details = {"what": what, "via": via, **({"not_modified": True} if not_modified else {})}
    _record(prepare_event("document.downloaded" if download else "document.viewed", document=document,
                          actor=actor, purpose="document access", details=details))


def _record(event: PreparedEvent) -> None:
    """Commit a read's event, or append it to the caller's transaction; return once it is committed
    (or will commit with the caller's change)."""
    if connection.in_atomic_block:  # with the caller's change, as every event
        record_prepared(event)
    elif _groups_commits():
        _group_commit.record(event)
    else:
        with transaction.atomic():
            record_prepared(event)


def _groups_commits() -> bool:
    mode = settings.READ_EVENTS_GROUP_COMMIT
    return mode == "on" or (mode == "sqlite" and connection.vendor == "sqlite")


class AuditUnavailable(ServiceUnavailable):
    """A read's event could not be committed: the read is refused (nothing is served unrecorded)."""

    default_code = "audit_unavailable"


class _Waiting:
    __slots__ = ("done", "error", "event")

    def __init__(self, event: PreparedEvent) -> None:
        self.event = event
        self.done = False
        self.error: BaseException | None = None


class GroupCommit:
    """Group commit of reads' events, per process: a thread hands its event over and waits; the first
    waiting thread that finds no commit under way leads one: it opens the transaction (on SQLite, waits
    for the write lock), takes every event handed over until then, its own included, appends them all,
    commits, and wakes their threads. Events handed over meanwhile wait for the next commit, which one
    of their threads leads. So no event waits for a timer, a lone read commits at once as before, and
    under load a commit carries as many events as threads of the process were waiting.

    When the transaction fails (the lock not obtained in time, an append refused, the commit itself),
    it rolls back whole, and every request whose event it carried fails with ``AuditUnavailable``.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._handed_over: list[_Waiting] = []
        self._leading = False
        self.commits = 0  # transactions committed or tried, and the events they carried (for tests,
        self.events = 0   # the benchmark's report)

    def record(self, event: PreparedEvent) -> None:
        mine = _Waiting(event)
        with self._changed:
            self._handed_over.append(mine)
            while not mine.done and self._leading:
                self._changed.wait()
            if not mine.done:
                self._leading = True
        if not mine.done:
            self._lead()
        if mine.error is not None:
            raise AuditUnavailable(message="the read could not be recorded in the audit log, so it was "
                                           "not served; try again") from mine.error

    def waiting(self) -> int:
        """Events handed over and not yet taken into a transaction."""
        with self._changed:
            return len(self._handed_over)

    def _take(self) -> list[_Waiting]:
        with self._changed:
            batch, self._handed_over = self._handed_over, []
        return batch

    def _lead(self) -> None:
        batch: list[_Waiting] = []
        error: BaseException | None = None
        try:
            with transaction.atomic():  # on SQLite: BEGIN IMMEDIATE, once the write lock is ours
                batch = self._take()  # what was handed over while the lock was awaited comes along
                for waiting in batch:
                    record_prepared(waiting.event)
        except BaseException as failure:  # every waiting request hears of it, below
            error = failure
            log.error("audit events of reads not committed (%s)", type(failure).__name__)
        finally:
            batch = batch or self._take()  # failed before taking them: those waiting fail with it
            with self._changed:
                self.commits += 1
                self.events += len(batch)
                for waiting in batch:
                    waiting.done, waiting.error = True, error
                self._leading = False
                self._changed.notify_all()
        if error is not None and not isinstance(error, Exception):
            raise error  # KeyboardInterrupt, SystemExit: the leader's thread stops as it should


_group_commit = GroupCommit()


def read_event_group() -> GroupCommit:
    """This process's group commit of reads' events."""
    return _group_commit


def _new_group_after_fork() -> None:
    # A thread of the parent may have held the condition's lock or been leading; it is gone here.
    global _group_commit
    _group_commit = GroupCommit()


os.register_at_fork(after_in_child=_new_group_after_fork)
