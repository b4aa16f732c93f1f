"""The compliance officer's pages: filter the log, see whether the chain verifies, download an export,
and follow one document's trail (who saw what, when). Every page view is itself an ``audit.read``."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render

from audit import export, keys
from audit.actions import record_event
from audit.models import AuditEvent
from audit.queries import EventFilterForm, chain_status
from docintel.accounts import roles
from docintel.errors import InputError

from .paging import page_of, query_without_page
from .permissions import role_required

PAGE_SIZE = 50


@role_required(*roles.READ_AUDIT)
def events(request):
    form = EventFilterForm(request.GET)
    page = page_of(request, form.events() if form.is_valid() else AuditEvent.objects.none(), PAGE_SIZE)
    record_event("audit.read", actor=request.user, purpose="audit review", details={
        "via": "web", "filters": form.applied(), "returned": len(page.object_list)})
    return render(request, "audit/events.html", {
        "form": form, "page": page, "query": query_without_page(request), "status": chain_status(),
        "formats": export.FORMATS, "retention_years": settings.AUDIT_RETENTION_YEARS,
    })


@role_required(*roles.READ_AUDIT)
def document_trail(request, pk):
    """Everything that happened to one document, oldest first: who uploaded, viewed, downloaded it,
    which stages and models read it, whether it was erased."""
    trail = AuditEvent.objects.filter(document_id=pk).order_by("seq")
    page = page_of(request, trail, PAGE_SIZE)
    record_event("audit.read", actor=request.user, document=pk, purpose="audit review",
                 details={"via": "web", "view": "document trail", "returned": len(page.object_list)})
    people = (trail.exclude(actor_username="").values_list("actor_username", flat=True)
              .distinct().order_by("actor_username"))
    return render(request, "audit/document.html", {
        "document_id": pk, "page": page, "people": list(people), "query": query_without_page(request)})


@role_required(*roles.READ_AUDIT)
def download_export(request):
    """A zip of the export and its manifest, for the time range of the filter form."""
    form = EventFilterForm({k: v for k, v in request.GET.items() if k in ("since", "until")})
    export_format = request.GET.get("format", "jsonl")
    if not form.is_valid() or export_format not in export.FORMATS:
        return HttpResponse("Choose a format (jsonl or csv) and valid dates.", status=400,
                            content_type="text/plain")
    try:
        return export.export_response(request, form.cleaned_data.get("since"), form.cleaned_data.get("until"),
                                      export_format, zipped=True, via="web")
    except InputError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain")


def public_key(request):
    """Public, so that auditors can pin it when they check an export."""
    return HttpResponse(keys.public_key_pem(), content_type="application/x-pem-file")
