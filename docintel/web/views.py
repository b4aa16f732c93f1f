"""The clerks' and reviewers' pages. Uploads and live status use the REST API from the browser
(session-authenticated), so there is one upload path; these views render pages and serve downloads."""

from __future__ import annotations

import json
from contextlib import suppress

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from docintel.accounts import roles
from docintel.documents.access import (
    applied_filters,
    document_for,
    record_list,
    record_read,
    visible_documents,
)
from docintel.documents.actions import retry_document
from docintel.documents.filters import DocumentFilterForm
from docintel.documents.models import DocumentKind
from docintel.errors import DocintelError
from docintel.redaction.models import redaction_of
from docintel.redaction.pdf import PAGE_MEDIA_TYPES, redacted_pdf_bytes
from extraction import pointers
from extraction.actions import correct_field
from extraction.export import extraction_csv, extraction_record, value_text
from extraction.models import extraction_of
from extraction.schemas import schema_names

from .highlight import marked_text
from .page_images import page_jpeg, page_views
from .paging import page_of, query_without_page
from .permissions import role_required

PAGE_SIZE = 25


@role_required(*roles.USE_WEB)
def home(request):
    if roles.has_role(request.user, *roles.READ_DOCUMENTS):
        return redirect("documents")
    return redirect("audit-events")  # compliance officers start at the audit log


@role_required(*roles.in_web(roles.UPLOAD))
def upload(request):
    return render(request, "web/upload.html", {
        "kinds": DocumentKind.choices, "schemas": schema_names(), "max_mb": settings.MAX_UPLOAD_MB,
    })


@role_required(*roles.in_web(roles.READ_DOCUMENTS))
def documents(request):
    form = DocumentFilterForm(request.GET or None)
    queryset = visible_documents(request.user).defer("text", "page_offsets").order_by("-created")
    if form.is_bound:
        queryset = form.filter(queryset)
    page = page_of(request, queryset, PAGE_SIZE)
    filters = applied_filters(form.cleaned_data) if form.is_bound and form.is_valid() else {}
    record_list(request.user, [document.pk for document in page], via="web", filters=filters)
    return render(request, "web/documents.html", {
        "form": form, "page": page, "query": query_without_page(request),
        "can_upload": roles.has_role(request.user, *roles.UPLOAD),
    })


@role_required(*roles.in_web(roles.READ_DOCUMENTS))
def document(request, pk):
    document = document_for(request, pk, with_text=True)
    context = {"document": document, "settled": document.is_settled,
               "can_correct": roles.has_role(request.user, *roles.CORRECT_EXTRACTIONS),
               "can_audit": roles.has_role(request.user, *roles.READ_AUDIT),
               "stages": [(name, document.stage(name)) for name in document.stages]}
    if not document.is_erased:
        context.update(_outputs(document))
    record_read(document, request.user, "document_page", via="web")
    return render(request, "web/document.html", context)


def _outputs(document) -> dict:
    """Redaction and extraction of a document for its page; missing parts simply stay empty."""
    redaction = extraction = None
    with suppress(DocintelError):
        redaction = redaction_of(document)
    with suppress(DocintelError):
        extraction = extraction_of(document)
    fields = _fields(extraction) if extraction else []
    clauses, risks = _clauses(extraction) if extraction else ([], [])
    text_html = marked_text(
        document.text, redaction.entities if redaction else [],
        {row["id"]: row["spans"] for row in [*fields, *clauses, *risks]},
    )
    pages = []
    with suppress(DocintelError):  # a page view must not break on a file the sandbox refuses
        pages = page_views(document, redaction, fields)
    return {"redaction": redaction, "extraction": extraction, "fields": fields, "text_html": text_html,
            "clauses": clauses, "risks": risks,
            "entity_counts": sorted(redaction.counts().items()) if redaction else [], "page_images": pages}


@role_required(*roles.in_web(roles.READ_DOCUMENTS))
def page_image(request, pk, number):
    """One page as it will be released (redacted spans blacked out), for the document page."""
    document = document_for(request, pk)
    if document.media_type not in PAGE_MEDIA_TYPES or not 1 <= number <= (document.pages or 0):
        raise Http404("no such page")
    try:
        body = page_jpeg(document, redaction_of(document), number)
    except DocintelError as error:
        return HttpResponse(error.message, status=error.http_status, content_type="text/plain")
    record_read(document, request.user, "page_image", via="web")
    response = HttpResponse(body, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def _fields(extraction) -> list[dict]:
    """One row per leaf of the extracted data, with its grounding spans and latest review."""
    latest = {c.pointer: c for c in extraction.corrections.select_related("corrected_by")}
    rows = []
    for index, (pointer, value) in enumerate(pointers.fields(extraction.data or {})):
        spans = [span for key, found in extraction.grounding.items()
                 if key == pointer or key.startswith(pointer + "/") for span in found]
        rows.append({
            "id": f"f{index}", "pointer": pointer, "label": field_label(pointer),
            "value": value_text(value), "type": _json_type(value), "spans": spans,
            "shown": "" if value in (None, "", [], {}) else value_text(value),
            "confidence": extraction.confidence.get(pointer),
            "ungrounded": pointer in extraction.ungrounded or (not spans and value not in (None, "", [])),
            "review": latest.get(pointer),
        })
    return rows


CLAUSE_STATE = {True: "present", False: "absent", None: "uncertain"}


def _clauses(extraction) -> tuple[list[dict], list[dict]]:
    """The clause review's rows (present and uncertain first) and its risk flags, each with the spans
    of its evidence, so that the same highlight shows where a clause is."""
    latest = {c.pointer: c for c in extraction.corrections.select_related("corrected_by")}
    rows = []
    for index, (name, finding) in enumerate((extraction.clauses or {}).items()):
        pointer = f"/clauses/{pointers.escape(name)}/present"
        review = latest.get(pointer)
        state = review.value if review and review.status == "corrected" else finding.get("present")
        rows.append({"id": f"c{index}", "name": name, "pointer": pointer,
                     "spans": finding.get("evidence") or [], "state": CLAUSE_STATE.get(state, "uncertain"),
                     "value": value_text(finding.get("value")), "confidence": finding.get("confidence"),
                     "review": review})
    order = {"present": 0, "uncertain": 1, "absent": 2}
    rows.sort(key=lambda row: order[row["state"]])
    risks = [{"id": f"r{index}", "flag": risk["flag"].replace("_", " "), "reason": risk["reason"],
              "spans": risk.get("evidence") or []} for index, risk in enumerate(extraction.risks or [])]
    return rows, risks


def field_label(pointer: str) -> str:
    """'/parties/0/name' -> 'parties 1 name': words a reviewer reads, not a JSON pointer."""
    words = [str(int(part) + 1) if part.isdigit() else part.replace("_", " ")
             for part in pointers.parts(pointer)]
    return " ".join(words) or "(value)"


def _json_type(value) -> str:
    """What a reviewer types into the field: text as is, anything else as JSON."""
    for kind, name in ((bool, "boolean"), (str, "string"), (int | float, "number"), (list, "array")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else "object"


@require_POST
@role_required(*roles.in_web(roles.READ_DOCUMENTS))
def retry(request, pk):
    document = document_for(request, pk)
    if retry_document(document, actor=request.user):
        messages.success(request, "Processing restarted from the step that failed.")
    else:
        messages.info(request, "Nothing to retry: the document has not failed.")
    return redirect("document", pk=document.pk)


@require_POST
@role_required(*roles.in_web(roles.CORRECT_EXTRACTIONS))
def correct(request, pk):
    document = document_for(request, pk)
    try:
        extraction = extraction_of(document)
    except DocintelError as error:
        messages.error(request, error.message)
        return redirect("document", pk=document.pk)
    pointer = request.POST.get("pointer", "")
    confirm = request.POST.get("decision") == "confirm"
    model_value = dict(pointers.fields(extraction.data or {})).get(pointer)
    value = _parse_value(request.POST.get("value", ""), like=model_value)
    try:
        correct_field(extraction, pointer, value, actor=request.user, confirm=confirm)
    except (DocintelError, ValueError) as error:
        messages.error(request, f"Not saved: {getattr(error, 'message', str(error))}")
    else:
        messages.success(request, f"{'Confirmed' if confirm else 'Corrected'} {pointer}.")
    anchor = "clauses" if pointer.startswith("/clauses/") else "fields"
    return redirect(f"{request.build_absolute_uri(document_url(document))}#{anchor}")


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
    return reverse("document", args=[document.pk])


DOWNLOADS = {
    "redacted.txt": ("redacted_text", "text/plain; charset=utf-8"),
    "redacted.pdf": ("redacted_pdf", "application/pdf"),
    "extraction.json": ("extraction_json", "application/json"),
    "extraction.csv": ("extraction_csv", "text/csv; charset=utf-8"),
}


@role_required(*roles.in_web(roles.READ_DOCUMENTS))
def download(request, pk, name):
    document = document_for(request, pk)
    if name not in DOWNLOADS:
        raise Http404("no such download")
    what, content_type = DOWNLOADS[name]
    body: str | bytes
    try:
        if what == "redacted_text":
            body = redaction_of(document).redacted_text
        elif what == "redacted_pdf":
            body = redacted_pdf_bytes(document)
        elif what == "extraction_json":
            body = json.dumps(extraction_record(extraction_of(document)), indent=2, ensure_ascii=False)
        else:
            body = extraction_csv(extraction_record(extraction_of(document)))
    except DocintelError as error:
        return render(request, "web/not_available.html", {"document": document, "error": error},
                      status=error.http_status)
    record_read(document, request.user, what, via="web", download=True)
    response = HttpResponse(body, content_type=content_type)
    stem = document.filename.rsplit(".", 1)[0] or "document"
    response["Content-Disposition"] = f'attachment; filename="{_safe(stem)}-{name}"'
    return response


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:100]

