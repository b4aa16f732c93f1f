"""Who may open which document, and the audited ways of opening one or being refused.

Web pages and API endpoints alike call these: ``document_for`` (404 when missing, 403 with an
``access.denied`` event when not theirs), ``visible_documents`` for lists, ``record_read`` for every
view or download of a document's content and ``record_list`` for every list of documents shown
(contract §7: every view is an event).
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from audit.actions import record_denial, record_event
from docintel.accounts import roles
from docintel.accounts.models import DocumentAssignment, TokenScope

from .models import Document


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
    record_event("document.listed", actor=actor, purpose="document access",
                 details={"via": via, "filters": filters, "documents": [str(pk) for pk in document_ids]})


def applied_filters(cleaned: dict) -> dict:
    """The filters of a document list as ``record_list`` records them."""
    return {name: "(search)" if name == "q" else str(value) for name, value in cleaned.items()
            if value not in (None, "")}


def record_read(document, actor, what: str, *, via: str, download: bool = False,
                not_modified: bool = False) -> None:
    """The event of one view (a page, a response) or download (a file) of a document's content.
    ``not_modified``: a conditional read answered 304 (the client holds the content already)."""
    details = {"what": what, "via": via, **({"not_modified": True} if not_modified else {})}
    record_event("document.downloaded" if download else "document.viewed", document=document, actor=actor,
                 purpose="document access", details=details)
