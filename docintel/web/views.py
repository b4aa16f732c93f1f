"""The clerks' and reviewers' pages. Uploads and live status use the REST API from the browser
(session-authenticated), so there is one upload path; these views render pages and serve downloads."""

from __future__ import annotations

import json
from contextlib import suppress

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from docintel.accounts import roles
from docintel.accounts.permissions import deny, role_required
from docintel.api import outputs
from docintel.api.filters import DocumentFilterForm
from docintel.documents.actions import retry_document
from docintel.documents.models import Document, DocumentKind, StageStatus
from docintel.errors import DocintelError

from .highlight import marked_text

PAGE_SIZE = 25


@role_required(*roles.USE_WEB)
def home(request):
    if roles.has_role(request.user, *roles.READ_DOCUMENTS):
        return redirect("documents")
    return redirect("audit-events")  # compliance officers start at the audit log


def _document(request, pk, *, with_text: bool = False) -> Document:
    """The document, if this user may open it; 404 if it does not exist, 403 (audited) if not theirs."""
    documents = Document.objects.all() if with_text else Document.objects.defer("text")
    document = get_object_or_404(documents, pk=pk)
    if not roles.can_open(request.user, document):
        deny(request, roles.SEES_ALL_DOCUMENTS, document)
    return document


@role_required(*roles.in_web(roles.UPLOAD))
def upload(request):
    from extraction.schemas import schema_names

    return render(request, "web/upload.html", {
        "kinds": DocumentKind.choices, "schemas": schema_names(), "max_mb": settings.MAX_UPLOAD_MB,
    })


@role_required(*roles.in_web(roles.READ_DOCUMENTS))
def documents(request):
    form = DocumentFilterForm(request.GET or None)
    queryset = roles.visible_documents(request.user).defer("text", "page_offsets").order_by("-created")
    if form.is_bound:
        queryset = form.filter(queryset)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/documents.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_upload": roles.has_role(request.user, *roles.UPLOAD),
    })


@role_required(*roles.in_web(roles.READ_DOCUMENTS))
def document(request, pk):
    document = _document(request, pk, with_text=True)
    context = {"document": document, "settled": document.status in (StageStatus.DONE, StageStatus.FAILED),
               "can_correct": roles.has_role(request.user, *roles.CORRECT_EXTRACTIONS),
               "can_audit": roles.has_role(request.user, *roles.READ_AUDIT),
               "stages": [(name, document.stage(name)) for name in document.stages]}
    if not document.is_erased:
        context.update(_outputs(document))
    outputs.record_read(document, request.user, "document_page", via="web")
    return render(request, "web/document.html", context)


def _outputs(document) -> dict:
    """Redaction and extraction of a document for its page; missing parts simply stay empty."""
    redaction = extraction = None
    with suppress(DocintelError):
        redaction = outputs.redaction_of(document)
    with suppress(DocintelError):
        extraction = outputs.extraction_of(document)
    fields = _fields(extraction) if extraction else []
    text_html = marked_text(
        document.text, redaction.entities if redaction else [],
        {field["id"]: field["spans"] for field in fields},
    )
    return {"redaction": redaction, "extraction": extraction, "fields": fields, "text_html": text_html,
            "entity_counts": _count_types(redaction.entities) if redaction else []}


def _count_types(entities) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for entity in entities:
        counts[entity["type"]] = counts.get(entity["type"], 0) + 1
    return sorted(counts.items())


def _fields(extraction) -> list[dict]:
    """One row per leaf of the extracted data, with its grounding spans and latest review."""
    latest = {c.pointer: c for c in extraction.corrections.select_related("corrected_by")}
    rows = []
    for index, (pointer, value) in enumerate(outputs.flatten(extraction.data or {})):
        spans = [span for key, found in extraction.grounding.items()
                 if key == pointer or key.startswith(pointer + "/") for span in found]
        rows.append({
            "id": f"f{index}", "pointer": pointer, "label": field_label(pointer),
            "value": outputs.cell(value), "type": _json_type(value), "spans": spans,
            "shown": "" if value in (None, "", [], {}) else outputs.cell(value),
            "confidence": extraction.confidence.get(pointer),
            "ungrounded": pointer in extraction.ungrounded or (not spans and value not in (None, "", [])),
            "review": latest.get(pointer),
        })
    return rows


def field_label(pointer: str) -> str:
    """'/parties/0/name' -> 'parties 1 name': words a reviewer reads, not a JSON pointer."""
    parts = [str(int(p) + 1) if p.isdigit() else p.replace("~1", "/").replace("~0", "~").replace("_", " ")
             for p in pointer.strip("/").split("/")]
    return " ".join(parts) or "(value)"


def _json_type(value) -> str:
    """What a reviewer types into the field: text as is, anything else as JSON."""
    for kind, name in ((bool, "boolean"), (str, "string"), (int | float, "number"), (list, "array")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else "object"


@require_POST
@role_required(*roles.in_web(roles.READ_DOCUMENTS))
def retry(request, pk):
    document = _document(request, pk)
    if retry_document(document, actor=request.user):
        messages.success(request, "Processing restarted from the step that failed.")
    else:
        messages.info(request, "Nothing to retry: the document has not failed.")
    return redirect("document", pk=document.pk)


@require_POST
@role_required(*roles.in_web(roles.CORRECT_EXTRACTIONS))
def correct(request, pk):
    from extraction.actions import correct_field

    document = _document(request, pk)
    try:
        extraction = outputs.extraction_of(document)
    except DocintelError as error:
        messages.error(request, error.message)
        return redirect("document", pk=document.pk)
    pointer = request.POST.get("pointer", "")
    confirm = request.POST.get("decision") == "confirm"
    model_value = dict(outputs.flatten(extraction.data or {})).get(pointer)
    value = _parse_value(request.POST.get("value", ""), like=model_value)
    try:
        correct_field(extraction, pointer, value, actor=request.user, confirm=confirm)
    except (DocintelError, ValueError) as error:
        messages.error(request, f"Not saved: {getattr(error, 'message', str(error))}")
    else:
        messages.success(request, f"{'Confirmed' if confirm else 'Corrected'} {pointer}.")
    return redirect(f"{request.build_absolute_uri(document_url(document))}#fields")


def _parse_value(raw: str, *, like=None):
    """Reviewers type plain text. A text field keeps it as typed; for other fields JSON numbers,
    true/false, null and lists are taken as such."""
    if isinstance(like, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def document_url(document) -> str:
    from django.urls import reverse

    return reverse("document", args=[document.pk])


DOWNLOADS = {
    "redacted.txt": ("redacted_text", "text/plain; charset=utf-8"),
    "redacted.pdf": ("redacted_pdf", "application/pdf"),
    "extraction.json": ("extraction_json", "application/json"),
    "extraction.csv": ("extraction_csv", "text/csv; charset=utf-8"),
}


@role_required(*roles.in_web(roles.READ_DOCUMENTS))
def download(request, pk, name):
    document = _document(request, pk)
    if name not in DOWNLOADS:
        raise Http404("no such download")
    what, content_type = DOWNLOADS[name]
    try:
        if what == "redacted_text":
            body = outputs.redaction_of(document).redacted_text
        elif what == "redacted_pdf":
            body = outputs.redacted_pdf(document)
        elif what == "extraction_json":
            body = json.dumps(outputs.extraction_record(document), indent=2, ensure_ascii=False)
        else:
            body = outputs.extraction_csv(outputs.extraction_record(document))
    except DocintelError as error:
        return render(request, "web/not_available.html", {"document": document, "error": error},
                      status=error.http_status)
    outputs.record_read(document, request.user, what, via="web", download=True)
    response = HttpResponse(body, content_type=content_type)
    stem = document.filename.rsplit(".", 1)[0] or "document"
    response["Content-Disposition"] = f'attachment; filename="{_safe(stem)}-{name}"'
    return response


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:100]

