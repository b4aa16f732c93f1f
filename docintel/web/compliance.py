"""The compliance officer's pages: filter the log, see whether it verifies (and any alert: integration
lag, a witness that refused a head), download an export, follow one document's trail (who saw what,
when), an event's inclusion proof, and the signed tree heads with their witnesses' cosignatures. Every
page view is itself an audit event."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from audit import export, keys
from audit.actions import record_event
from audit.merkle import inclusion_valid
from audit.models import AuditEvent, SignedTreeHead, WitnessCosignature
from audit.proofs import ProofError, inclusion_document
from audit.queries import EventFilterForm, tree_status
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
        "form": form, "page": page, "query": query_without_page(request), "status": tree_status(),
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


@require_POST  # an export signs a tree head and writes an event: never on a GET a link could trigger
@role_required(*roles.READ_AUDIT)
def download_export(request):
    """A zip of the export and its manifest, for the time range of the filter form."""
    form = EventFilterForm({k: v for k, v in request.POST.items() if k in ("since", "until")})
    export_format = request.POST.get("format", "jsonl")
    if not form.is_valid() or export_format not in export.FORMATS:
        return HttpResponse("Choose a format (jsonl or csv) and valid dates.", status=400,
                            content_type="text/plain")
    try:
        return export.export_response(request, form.cleaned_data.get("since"), form.cleaned_data.get("until"),
                                      export_format, zipped=True, via="web")
    except InputError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain")


@role_required(*roles.READ_AUDIT)
def event_proof(request, seq: int):
    """One event's inclusion proof against a signed tree head; ``?download=1`` gives the JSON file."""
    tree_size = request.GET.get("tree_size")
    try:
        proof = inclusion_document(seq, int(tree_size) if tree_size and tree_size.isdigit() else None)
    except ProofError as error:
        return render(request, "audit/proof.html", {"seq": seq, "error": error.message},
                      status=error.http_status)
    record_event("audit.proved", actor=request.user, purpose="audit review", details={
        "via": "web", "seq": seq, "tree_size": proof["tree_size"], "downloaded": "download" in request.GET})
    if "download" in request.GET:
        response = HttpResponse(json.dumps(proof, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="event-{seq}-proof.json"'
        return response
    path = [bytes.fromhex(node) for node in proof["path"]]
    leaf, root = bytes.fromhex(proof["leaf_hash"]), bytes.fromhex(proof["root_hash"])
    checked = inclusion_valid(proof["leaf_index"], proof["tree_size"], leaf, path, root)
    cosignatures = WitnessCosignature.objects.filter(tree_size=proof["tree_size"],
                                                     root_hash=proof["root_hash"])
    return render(request, "audit/proof.html", {"seq": seq, "proof": proof, "proof_checked": checked,
                                                "tree_size": tree_size, "cosignatures": cosignatures})


@role_required(*roles.READ_AUDIT)
def tree_heads(request):
    """The history of signed tree heads, newest first, with each one's witness cosignatures."""
    page = page_of(request, SignedTreeHead.objects.order_by("-tree_size", "-id"), PAGE_SIZE)
    sizes = [head.tree_size for head in page.object_list]
    cosigned: dict[tuple[int, str], list] = {}
    for cosignature in WitnessCosignature.objects.filter(tree_size__in=sizes):
        cosigned.setdefault((cosignature.tree_size, cosignature.root_hash), []).append(cosignature)
    heads = [{**head.as_dict(), "reason": head.reason,
              "cosignatures": cosigned.get((head.tree_size, head.root_hash), [])}
             for head in page.object_list]
    record_event("audit.read", actor=request.user, purpose="audit review",
                 details={"via": "web", "view": "tree heads", "returned": len(heads)})
    return render(request, "audit/tree_heads.html", {"page": page, "heads": heads, "status": tree_status()})


def public_key(request):
    """Public, so that auditors can pin it when they check an export."""
    return HttpResponse(keys.public_key_pem(), content_type="application/x-pem-file")
