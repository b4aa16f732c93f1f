"""The compliance officer's pages: filter the log, see whether the chain verifies, download an export,
and follow one document's trail (who saw what, when). Every page view is itself an ``audit.read``."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from docintel.accounts import roles
from docintel.accounts.permissions import role_required
from docintel.errors import InputError

from . import export, keys
from .actions import record_event
from .api import export_response
from .models import AuditEvent
from .queries import EventFilterForm, chain_status

PAGE_SIZE = 50


def _page(request, events):
    return Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@role_required(*roles.READ_AUDIT)
def events(request):
    form = EventFilterForm(request.GET)
    page = _page(request, form.events() if form.is_valid() else AuditEvent.objects.none())
    record_event("audit.read", actor=request.user, purpose="audit review", details={
        "via": "web", "filters": form.applied(), "returned": len(page.object_list)})
    return render(request, "audit/events.html", {
        "form": form, "page": page, "query": _query_without_page(request), "status": chain_status(),
        "formats": export.FORMATS, "retention_years": settings.AUDIT_RETENTION_YEARS,
    })


@role_required(*roles.READ_AUDIT)
def document_trail(request, pk):
    """Everything that happened to one document, oldest first: who uploaded, viewed, downloaded it,
    which stages and models read it, whether it was erased."""
    trail = AuditEvent.objects.filter(document_id=pk).order_by("seq")
    page = _page(request, trail)
    record_event("audit.read", actor=request.user, document=pk, purpose="audit review",
                 details={"via": "web", "view": "document trail", "returned": len(page.object_list)})
    people = (trail.exclude(actor_username="").values_list("actor_username", flat=True)
              .distinct().order_by("actor_username"))
    return render(request, "audit/document.html", {
        "document_id": pk, "page": page, "people": list(people), "query": _query_without_page(request)})


@role_required(*roles.READ_AUDIT)
def download_export(request):
    """A zip of the export and its manifest, for the time range of the filter form."""
    form = EventFilterForm({k: v for k, v in request.GET.items() if k in ("since", "until")})
    export_format = request.GET.get("format", "jsonl")
    if not form.is_valid() or export_format not in export.FORMATS:
        return HttpResponse("Choose a format (jsonl or csv) and valid dates.", status=400,
                            content_type="text/plain")
    try:
        return export_response(request, form, export_format, zipped=True, via="web")
    except InputError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain")


def public_key(request):
    """Public, so that auditors can pin it when they check an export."""
    return HttpResponse(keys.public_key_pem(), content_type="application/x-pem-file")
