"""REST API of documents (contract §5). Every change goes through ``docintel.documents.actions``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from docintel.accounts import roles
from docintel.accounts.models import ApiToken, TokenScope
from docintel.documents import storage
from docintel.documents.access import (
    applied_filters,
    document_for,
    record_list,
    record_read,
    visible_documents,
    visible_parts,
)
from docintel.documents.actions import retry_document, upload_document
from docintel.documents.erasure import erase_document
from docintel.documents.filters import DocumentFilterForm
from docintel.documents.models import Document, DocumentKind, StageStatus
from docintel.errors import Erased, FileTooLarge, InputError, NotReady
from docintel.redaction.models import redaction_of
from docintel.redaction.pdf import redacted_pdf_bytes
from extraction import pointers
from extraction.actions import correct_field
from extraction.export import extraction_record
from extraction.models import extraction_of

from . import prepared
from .conditional import ETAG, IF_NONE_MATCH, NOT_MODIFIED, conditional
from .errors import declared_errors
from .listing import fetch_page, table_size_sql
from .models import UploadRequest, WebhookState
from .permissions import HasRole
from .serializers import (
    DOCUMENT_COLUMNS,
    ApiTokenSerializer,
    CorrectionSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    ErasureReasonSerializer,
    ErasureSerializer,
    ExtractionSerializer,
    NewCorrectionSerializer,
    RedactedTextSerializer,
    UploadAcceptedSerializer,
    WebhookDeliverySerializer,
    document_record,
    with_json_text,
)
from .throttling import TokenRateThrottle, UploadRateThrottle
from .webhooks import make_due

LIST_FILTERS = [
    OpenApiParameter("q", str, description="File name contains"),
    OpenApiParameter("status", str, enum=StageStatus.values),
    OpenApiParameter("kind", str, enum=DocumentKind.values),
    OpenApiParameter("created_from", OpenApiTypes.DATE, description="Uploaded on or after this day"),
    OpenApiParameter("created_to", OpenApiTypes.DATE, description="Uploaded on or before this day"),
]
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER,
    description="Repeat an upload safely: the same key (per user) returns the first upload's document.")


def _errors(*codes):
    """Every endpoint here may answer 401, 403 and 429, besides ``codes``."""
    return declared_errors(401, 403, 429, *codes)


DOCUMENT_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="A document id")
CONDITIONAL = [DOCUMENT_ID, IF_NONE_MATCH, ETAG]


@extend_schema_view(
    list=extend_schema(summary="List documents", parameters=LIST_FILTERS, responses={
        200: DocumentSerializer(many=True), **_errors(400, 404)}),
    retrieve=extend_schema(summary="A document's status and stages", parameters=CONDITIONAL, responses={
        200: DocumentSerializer, **NOT_MODIFIED, **_errors(404)}),
)
class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DocumentSerializer
    permission_classes = [HasRole]
    required_roles = roles.READ_DOCUMENTS
    action_roles = {"create": roles.UPLOAD, "corrections": roles.CORRECT_EXTRACTIONS,
                    "erasure": roles.ERASE_DOCUMENTS}
    throttle_classes = [TokenRateThrottle, UploadRateThrottle]
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self):
        return visible_documents(self.request.user, token=self.request.auth).defer("text", "page_offsets")

    def get_object(self):
        """The document; 404 if it does not exist, 403 (audited) if this user may not open it."""
        return document_for(self.request, self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        """One query for the page, its count and whether more follow (``listing``), one audit event."""
        # The form (a deep copy of its fields) only when the query names a filter: pollers send none.
        form = None
        if any(name in request.query_params for name in DocumentFilterForm.base_fields):
            form = DocumentFilterForm(request.query_params)
            if not form.is_valid():
                raise InputError.from_form("bad_filter", form)
        filters = applied_filters(form.cleaned_data) if form is not None else {}
        # The table's row estimate stands for the count only where the caller sees the whole table.
        sees_all = (roles.has_role(request.user, *roles.SEES_ALL_DOCUMENTS)
                    and getattr(request.auth, "scope", TokenScope.ALL) == TokenScope.ALL)
        token = request.auth

        def filtered(queryset):
            return form.filter(queryset) if form is not None else queryset

        def documents(user):
            return (with_json_text(filtered(visible_documents(user, token=token))),
                    [filtered(part) for part in visible_parts(user, token=token)])

        # Without filters the SQL depends on the caller's roles and token scope only: compiled once.
        shape = None if filters else ("documents", frozenset(roles.roles_of(request.user)),
                                      getattr(token, "scope", TokenScope.ALL))
        page = fetch_page(request, documents, model=Document, columns=DOCUMENT_COLUMNS,
                          order=("created", "id"),
                          estimate_sql=table_size_sql(Document) if sees_all and not filters else None,
                          shape=shape, converted=False)
        list_url = reverse("api-document-list")
        records = [document_record(row, list_url) for row in page.rows]
        record_list(request.user, [record["id"] for record in records], via="api", filters=filters)
        return Response(page.body(records))

    def retrieve(self, request, *args, **kwargs):
        """One query for the document when this user may open it; the view is an audit event."""
        try:
            pk = uuid.UUID(str(kwargs["pk"]))
        except ValueError:
            raise Http404("no such document") from None
        token = request.auth

        def document(user, pk):
            return with_json_text(visible_documents(user, token=token).filter(pk=pk)).values_list(
                *DOCUMENT_COLUMNS)[:1]

        # The SQL depends on the caller's roles and token scope only: compiled once (``prepared``).
        shape = ("document", frozenset(roles.roles_of(request.user)), getattr(token, "scope", TokenScope.ALL))
        found = prepared.rows(shape, document, {"user": (request.user, None), "pk": (pk, Document._meta.pk)},
                              Document, converted=False)
        row = found[0] if found else None
        if row is None:
            document_for(request, pk)  # 404, or 403 with its access.denied event
            raise Http404("no such document")
        response = conditional(request, document_record(row, reverse("api-document-list")))
        record_read(pk, request.user, "document", via="api", not_modified=response.status_code == 304)
        return response

    def get_parsers(self):
        # A file travels in multipart/form-data only: the schema declares nothing else for uploads.
        if getattr(self, "action", None) == "create" or (self.request is not None
                                                          and self.request.method == "POST"
                                                          and self.action_map.get("post") == "create"):
            return [MultiPartParser()]
        return super().get_parsers()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action == "create":  # refuse an oversized body before reading it
            length = int(request.META.get("CONTENT_LENGTH") or 0)
            if length > settings.MAX_UPLOAD_BYTES + 64 * 1024:
                raise FileTooLarge(message=f"the file is larger than {settings.MAX_UPLOAD_MB} MB")


    @extend_schema(
        summary="Upload a document", request={"multipart/form-data": DocumentUploadSerializer},
        parameters=[IDEMPOTENCY_KEY],
        responses={202: UploadAcceptedSerializer, **_errors(400, 413, 415, 507)},
    )
    def create(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()[:200]
        if key:
            earlier = UploadRequest.objects.filter(user=request.user, idempotency_key=key).first()
            if earlier is not None:
                return self._accepted(earlier.document, created=False)
        form = DocumentUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise FileTooLarge(message=f"the file is larger than {settings.MAX_UPLOAD_MB} MB")
        document, created = upload_document(
            upload.chunks(), filename=upload.name, kind=form.validated_data["kind"],
            schema_name=form.validated_data["schema"], actor=request.user, source="api",
        )
        document = note_upload(document, request.user, key, form.validated_data["webhook_url"])
        return self._accepted(document, created=created)

    def _accepted(self, document, *, created: bool) -> Response:
        url = DocumentSerializer(context={"request": self.request}).get_url(document)
        return Response({"id": document.pk, "status": document.status, "url": url, "created": created},
                        status=status.HTTP_202_ACCEPTED, headers={"Location": url})

    @extend_schema(summary="Redacted text and entity spans", parameters=CONDITIONAL, responses={
        200: RedactedTextSerializer, **NOT_MODIFIED, **_errors(404, 409, 410)})
    @action(detail=True, methods=["get"])
    def redacted(self, request, pk=None):
        document = self.get_object()
        result = redaction_of(document)
        response = conditional(request, {"id": str(document.pk), "redacted_text": result.redacted_text,
                                         "entities": result.entities, "mode": result.mode})
        record_read(document, request.user, "redacted_text", via="api",
                    not_modified=response.status_code == 304)
        return response

    # Declared as bytes (application/octet-stream), like the original and the audit export, so that every
    # generated client keeps it as a file (openapi-python-client skips an application/pdf response); the
    # response itself says application/pdf, which browsers and PDF viewers need.
    @extend_schema(summary="Redacted copy as PDF (page images with redacted spans blacked out)",
                   description="The body is a PDF, served as `application/pdf`.", parameters=[DOCUMENT_ID],
                   operation_id="documents_redacted_pdf_retrieve",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              **_errors(404, 409, 410)})
    def redacted_pdf(self, request, pk=None):
        document = self.get_object()
        body = redacted_pdf_bytes(document)
        record_read(document, request.user, "redacted_pdf", via="api", download=True)
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="redacted-{document.pk}.pdf"'
        return response

    @extend_schema(summary="Extraction: schema, values, grounding, model, review state, clauses",
                   parameters=CONDITIONAL, responses={
                       200: ExtractionSerializer, **NOT_MODIFIED, **_errors(404, 409, 410)})
    @action(detail=True, methods=["get"])
    def extraction(self, request, pk=None):
        document = self.get_object()
        record = extraction_record(extraction_of(document))
        response = conditional(request, {**record, "review": review_state(record)})
        record_read(document, request.user, "extraction", via="api",
                    not_modified=response.status_code == 304)
        return response

    @extend_schema(summary="Retry a failed document", request=None,
                   parameters=[DOCUMENT_ID], responses={
        202: UploadAcceptedSerializer, **_errors(404, 409)})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        document = self.get_object()
        if not retry_document(document, actor=request.user):
            raise NotReady("not_failed", "only a failed document can be retried")
        document.refresh_from_db()
        return self._accepted(document, created=False)

    @extend_schema(summary="Correct or confirm one extracted field (reviewers)",
                   parameters=[DOCUMENT_ID],
                   request=NewCorrectionSerializer,
                   responses={201: CorrectionSerializer, **_errors(400, 404, 409, 410)})
    @action(detail=True, methods=["post"])
    def corrections(self, request, pk=None):
        document = self.get_object()
        form = NewCorrectionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        confirm = form.validated_data["decision"] == "confirm"
        correction = correct_field(extraction_of(document), form.validated_data["pointer"],
                                   form.validated_data.get("value"), actor=request.user, confirm=confirm,
                                   note=form.validated_data["note"])
        return Response(CorrectionSerializer({
            "pointer": correction.pointer, "value": correction.value, "status": correction.status,
            "note": correction.note, "corrected_by": request.user.get_username(),
            "created": correction.created}).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="The original file as it was uploaded",
                   parameters=[DOCUMENT_ID], responses={
        (200, "application/octet-stream"): OpenApiTypes.BINARY, **_errors(404, 410)})
    @action(detail=True, methods=["get"])
    def original(self, request, pk=None):
        document = self.get_object()
        if document.is_erased:
            raise Erased(message="this document was erased; only its audit trail remains")
        handle = storage.path_for(document.sha256).open("rb")
        record_read(document, request.user, "original", via="api", download=True)
        response = FileResponse(handle, as_attachment=True, filename=document.filename,
                                content_type=document.media_type)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(summary="Erase a document for GDPR (compliance and admin): crypto-shredding",
                   parameters=[DOCUMENT_ID],
                   request=ErasureReasonSerializer, responses={200: ErasureSerializer, **_errors(400, 404)})
    @action(detail=True, methods=["post"])
    def erasure(self, request, pk=None):
        # Not get_object(): the data-protection officer erases documents they may not read.
        try:
            pk = uuid.UUID(str(self.kwargs["pk"]))
            document = Document.objects.defer("text", "page_offsets").get(pk=pk)
        except (ValueError, Document.DoesNotExist):
            raise Http404("no such document") from None
        form = ErasureReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        document = erase_document(document, actor=request.user, reason=form.validated_data["reason"])
        return Response(ErasureSerializer(document).data)

    @extend_schema(summary="Your webhooks for this document, with every delivery attempt",
                   parameters=[DOCUMENT_ID],
                   responses={200: WebhookDeliverySerializer(many=True), **_errors(404)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def webhooks(self, request, pk=None):
        document = self.get_object()
        deliveries = document.upload_requests.filter(user=request.user).exclude(webhook_url="")
        deliveries = deliveries.prefetch_related("webhook_attempts").order_by("pk")
        return Response(WebhookDeliverySerializer(deliveries, many=True).data)


def review_state(record: dict) -> dict:
    """How far reviewers got: fields confirmed or corrected out of all the extraction's fields. A
    correction counts for the field it names, for the field it lies in (an API client may correct one
    item of a list of plain values, which the review shows as one field) and for the fields inside it
    (a whole list replaced): a field with a correction recorded against it is never "unreviewed"."""
    fields = {pointer for pointer, _ in pointers.fields(record.get("data") or {})}
    corrected = {correction["pointer"] for correction in record.get("corrections", [])}
    reviewed = {field for field in fields
                if any(pointer == field or pointer.startswith(field + "/") or field.startswith(pointer + "/")
                       for pointer in corrected)}
    state = "unreviewed" if not reviewed else "reviewed" if reviewed == fields else "in_review"
    return {"state": state, "fields_total": len(fields), "fields_reviewed": len(reviewed)}


def note_upload(document: Document, user, idempotency_key: str = "", webhook_url: str = "") -> Document:
    """After an upload (the uploader's own document, new or the same file again): remember the
    Idempotency-Key and the webhook. It grants nothing: the document is already the uploader's."""
    if not (idempotency_key or webhook_url):
        return document
    try:
        with transaction.atomic():
            upload = UploadRequest.objects.create(
                user=user, document=document, idempotency_key=idempotency_key, webhook_url=webhook_url,
                webhook_state=WebhookState.PENDING if webhook_url else "")
    except IntegrityError:  # the same key raced in from a parallel request: that one's document wins
        return UploadRequest.objects.get(user=user, idempotency_key=idempotency_key).document
    if webhook_url and document.is_settled:  # already finished: no later save will trigger it
        make_due(UploadRequest.objects.filter(pk=upload.pk))
    return document


class TokenViewSet(viewsets.GenericViewSet):
    """Your own API tokens: list them, revoke one. Another user's token is 404, not 403."""

    permission_classes = [HasRole]
    required_roles = roles.MANAGE_OWN_TOKENS
    throttle_classes = [TokenRateThrottle]
    queryset = ApiToken.objects.none()  # the schema's type of {id}; get_queryset picks the rows
    serializer_class = ApiTokenSerializer
    pagination_class = None

    def get_queryset(self):
        owner = self.request.user.pk
        assert owner is not None  # HasRole lets only signed-in users this far
        return ApiToken.objects.filter(user_id=owner).order_by("-created")

    @extend_schema(summary="Your API tokens (never their keys)", responses={
        200: ApiTokenSerializer(many=True), **_errors()})
    def list(self, request):
        return Response(ApiTokenSerializer(self.get_queryset(), many=True).data)

    @extend_schema(summary="Revoke one of your tokens: programs using it can no longer connect",
                   request=None, responses={200: ApiTokenSerializer, **_errors(404)})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = get_object_or_404(self.get_queryset(), pk=pk)
        token.revoke()  # audit.receivers records auth.token_revoked in the same transaction
        return Response(ApiTokenSerializer(token).data)
