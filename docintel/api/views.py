"""REST API of documents (contract §5). Every change goes through ``docintel.documents.actions``."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from docintel.accounts import roles
from docintel.accounts.models import DocumentAssignment
from docintel.documents.access import document_for, record_read, visible_documents
from docintel.documents.actions import retry_document, upload_document
from docintel.documents.filters import DocumentFilterForm
from docintel.documents.models import Document, DocumentKind, StageStatus
from docintel.errors import FileTooLarge, InputError, NotReady
from docintel.redaction.models import redaction_of
from docintel.task_runner import dispatch
from extraction.export import extraction_record
from extraction.models import extraction_of

from .models import UploadRequest
from .permissions import HasRole
from .serializers import (
    DocumentSerializer,
    ErrorSerializer,
    RedactedSerializer,
    UploadAcceptedSerializer,
    UploadSerializer,
)
from .throttling import TokenRateThrottle, UploadRateThrottle
from .webhooks import send_webhook

ERRORS = {code: OpenApiResponse(ErrorSerializer, description=text) for code, text in {
    400: "Bad input", 401: "Not signed in", 403: "Your role does not allow this", 404: "No such document",
    409: "Not ready yet", 410: "Erased", 413: "File too large", 415: "Not a PDF or text file",
    429: "Rate limit reached",
}.items()}
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
    return {code: ERRORS[code] for code in (401, 403, *codes)}


@extend_schema_view(
    list=extend_schema(summary="List documents", parameters=LIST_FILTERS, responses={
        200: DocumentSerializer(many=True), **_errors(400, 404, 429)}),
    retrieve=extend_schema(summary="A document's status and stages", responses={
        200: DocumentSerializer, **_errors(404, 429)}),
)
class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DocumentSerializer
    permission_classes = [HasRole]
    required_roles = roles.READ_DOCUMENTS
    action_roles = {"create": roles.UPLOAD}
    throttle_classes = [TokenRateThrottle, UploadRateThrottle]
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self):
        queryset = visible_documents(self.request.user).defer("text", "page_offsets")
        queryset = queryset.order_by("-created")
        if self.action == "list":
            form = DocumentFilterForm(self.request.query_params)
            if not form.is_valid():
                raise InputError.from_form("bad_filter", form)
            queryset = form.filter(queryset)
        return queryset

    def get_object(self):
        """The document; 404 if it does not exist, 403 (audited) if this user may not open it."""
        return document_for(self.request, self.kwargs["pk"])

    def get_parsers(self):
        if getattr(self, "action", None) == "create" or self.request is None or self.request.method == "POST":
            return [MultiPartParser(), FormParser()]
        return super().get_parsers()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action == "create":  # refuse an oversized body before reading it
            length = int(request.META.get("CONTENT_LENGTH") or 0)
            if length > settings.MAX_UPLOAD_BYTES + 64 * 1024:
                raise FileTooLarge(message=f"the file is larger than {settings.MAX_UPLOAD_MB} MB")

    @extend_schema(
        summary="Upload a document", request=UploadSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={202: UploadAcceptedSerializer, **_errors(400, 413, 415, 429)},
    )
    def create(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()[:200]
        if key:
            earlier = UploadRequest.objects.filter(user=request.user, idempotency_key=key).first()
            if earlier is not None:
                return self._accepted(earlier.document, created=False)
        form = UploadSerializer(data=request.data)
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

    @extend_schema(summary="Redacted text and entity spans", responses={
        200: RedactedSerializer, **_errors(404, 409, 410)})
    @action(detail=True, methods=["get"])
    def redacted(self, request, pk=None):
        document = self.get_object()
        result = redaction_of(document)
        record_read(document, request.user, "redacted_text", via="api")
        return Response({"id": document.pk, "redacted_text": result.redacted_text,
                         "entities": result.entities, "mode": result.mode})

    @extend_schema(summary="Extraction (contract extract format, with reviewer corrections)", responses={
        200: OpenApiTypes.OBJECT, **_errors(404, 409, 410)})
    @action(detail=True, methods=["get"])
    def extraction(self, request, pk=None):
        document = self.get_object()
        record = extraction_record(extraction_of(document))
        record_read(document, request.user, "extraction", via="api")
        return Response(record)

    @extend_schema(summary="Retry a failed document", request=None, responses={
        202: UploadAcceptedSerializer, **_errors(404, 409)})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        document = self.get_object()
        if not retry_document(document, actor=request.user):
            raise NotReady("not_failed", "only a failed document can be retried")
        document.refresh_from_db()
        return self._accepted(document, created=False)


def note_upload(document: Document, user, idempotency_key: str = "", webhook_url: str = "") -> Document:
    """After an upload (new or deduplicated): let the uploader see it, remember the key and webhook."""
    if document.uploaded_by_id != user.pk:
        DocumentAssignment.objects.get_or_create(document=document, user=user)
    if not (idempotency_key or webhook_url):
        return document
    try:
        with transaction.atomic():
            upload = UploadRequest.objects.create(
                user=user, document=document, idempotency_key=idempotency_key, webhook_url=webhook_url)
    except IntegrityError:  # the same key raced in from a parallel request: that one's document wins
        return UploadRequest.objects.get(user=user, idempotency_key=idempotency_key).document
    if webhook_url and document.is_settled:  # already finished: no later save will trigger it
        dispatch(send_webhook, upload.pk)
    return document

