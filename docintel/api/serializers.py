"""The shapes of what the API receives and answers: each one a named component of the OpenAPI schema,
so that generated clients get typed models (issue 19). Responses built from stored JSON (stages,
extraction records, audit events) go out as they are; these classes describe them."""

from __future__ import annotations

from datetime import UTC

import orjson
from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from docintel.documents.models import Document, DocumentKind, StageStatus
from extraction.models import CorrectionStatus

from .models import UploadRequest, WebhookAttempt, WebhookState
from .webhook_targets import check_webhook_url


class StageSerializer(serializers.Serializer):
    status = serializers.CharField()
    code = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    started = serializers.CharField(required=False, allow_null=True)
    finished = serializers.CharField(required=False, allow_null=True)
    seconds = serializers.FloatField(required=False, allow_null=True)
    attempts = serializers.IntegerField(required=False)


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


# Stored JSON goes out as it is (nested serializers per stage would cost more than the whole query);
# the schema still describes its shape.
@extend_schema_field(serializers.DictField(child=StageSerializer()))
class StagesField(serializers.JSONField):
    pass


@extend_schema_field(WarningSerializer(many=True))
class WarningsField(serializers.JSONField):
    pass


class DocumentSerializer(serializers.ModelSerializer):
    """Contract §5: id, filename, kind, sha256, status, stages, pages, created (+ size, warnings, url)."""

    stages = StagesField(read_only=True)
    url = serializers.SerializerMethodField()
    warnings = WarningsField(read_only=True)

    class Meta:
        model = Document
        fields = ["id", "filename", "kind", "sha256", "status", "stages", "pages", "created", "size",
                  "media_type", "schema_name", "warnings", "url"]
        read_only_fields = fields

    def get_url(self, document) -> str:
        # One reverse() per serializer, not per document: it dominated the list endpoint's time.
        if not hasattr(self, "_list_url"):
            self._list_url = reverse("api-document-list")
        return f"{self._list_url}{document.pk}/"


# The read paths (list, detail) fetch exactly these columns and build each record directly: the
# serializer above stays the schema of the response (OpenAPI) and is what these records must equal
# (tests/api/test_api_reads.py). Stages and warnings go out as the JSON text the database holds.
DOCUMENT_COLUMNS = ["id", "filename", "kind", "sha256", "status", "stages_json", "pages", "created", "size",
                    "media_type", "schema_name", "warnings_json"]


def with_json_text(queryset):
    """``queryset`` with the stages and warnings as stored JSON text (``stages_json``, ``warnings_json``)."""
    return queryset.annotate(stages_json=Cast("stages", TextField()),
                             warnings_json=Cast("warnings", TextField()))


def document_record(row: tuple, list_url: str) -> dict:
    """A ``DOCUMENT_COLUMNS`` row as the API answers it (``DocumentSerializer``'s shape), for the
    orjson renderer (``docintel.api.renderers``). The row may hold the id and the time as the database
    driver returns them (``prepared.rows(converted=False)``) or as the ORM converts them."""
    pk, filename, kind, sha256, status, stages, pages, created, size, media_type, schema_name, warnings = row
    pk = uuid_text(pk)
    return {"id": pk, "filename": filename, "kind": kind, "sha256": sha256, "status": status,
            "stages": orjson.Fragment(stages or "{}"), "pages": pages, "created": utc_text(created),
            "size": size, "media_type": media_type, "schema_name": schema_name,
            "warnings": orjson.Fragment(warnings or "[]"), "url": f"{list_url}{pk}/"}


def uuid_text(value) -> str:
    """A UUID as the API writes it (``8-4-4-4-12`` hex digits), from a ``uuid.UUID`` or the 32 hex
    digits SQLite keeps."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def utc_text(value) -> str:
    """A time as DRF writes it with ``USE_TZ`` in UTC (ISO 8601, ``Z``; microseconds only when not
    zero), from an aware datetime or the text SQLite keeps (Django stores UTC as
    ``YYYY-MM-DD HH:MM:SS[.ffffff]``, which is ``datetime.isoformat`` with a space for the ``T``)."""
    if isinstance(value, str):
        if len(value) in (19, 26) and value[10] == " ":
            return f"{value[:10]}T{value[11:]}Z"
        value = parse_datetime(value)
        if value is None:
            raise ValueError("not a stored time")
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class DocumentUploadSerializer(serializers.Serializer):
    """An upload: multipart/form-data only (a file cannot travel in a URL-encoded form)."""

    file = serializers.FileField(help_text="A PDF or plain-text file.", allow_empty_file=True)
    kind = serializers.ChoiceField(choices=DocumentKind.choices, default=DocumentKind.AUTO, required=False)
    schema = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                   help_text="Extraction schema name; blank: chosen by kind.")
    webhook_url = serializers.URLField(
        required=False, allow_blank=True, default="", max_length=500,
        help_text="POSTed (signed, retried) when the document settles; docs/API.md says which hosts.")

    def validate_webhook_url(self, url: str) -> str:
        if url:  # WebhookRefused / WebhookUnresolved: 400 with their own codes
            check_webhook_url(url, settings.WEBHOOK_ALLOWED_HOSTS)
        return url


class UploadAcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    url = serializers.CharField()
    created = serializers.BooleanField(help_text="False when the same file was already uploaded.")


class EntitySerializer(serializers.Serializer):
    type = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    score = serializers.FloatField()
    recognizer = serializers.CharField()


class RedactedTextSerializer(serializers.Serializer):
    """A document's redacted text and where each entity was (offsets into the original text)."""

    id = serializers.UUIDField()
    redacted_text = serializers.CharField()
    entities = EntitySerializer(many=True)
    mode = serializers.CharField(help_text="placeholder or pseudonym")


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Every failure: a stable code to branch on and a sentence to show (never document content)."""

    error = ErrorDetailSerializer()


# --- Extractions -------------------------------------------------------------------------------------


class SpanSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="Offset into the document's text (Python string index)")
    end = serializers.IntegerField()


class ClauseSerializer(serializers.Serializer):
    """One CUAD clause category of a contract (contract §8)."""

    present = serializers.BooleanField(allow_null=True)
    evidence = SpanSerializer(many=True)
    value = serializers.JSONField(allow_null=True, help_text="The normalised value, or null")
    confidence = serializers.FloatField(allow_null=True)


class ExtractionReviewSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["unreviewed", "in_review", "reviewed"],
                                    help_text="reviewed: a reviewer confirmed or corrected every field")
    fields_total = serializers.IntegerField(help_text="Fields (leaf values) in the extraction")
    fields_reviewed = serializers.IntegerField()


class CorrectionSerializer(serializers.Serializer):
    """A reviewer's verdict on one field, kept beside the model's value (never over it)."""

    pointer = serializers.CharField(help_text="The field's JSON pointer")
    value = serializers.JSONField(allow_null=True)
    status = serializers.ChoiceField(choices=CorrectionStatus.choices)
    note = serializers.CharField(allow_blank=True)
    corrected_by = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()


class NewCorrectionSerializer(serializers.Serializer):
    """Correct or confirm one field: the same rules as the review page."""

    pointer = serializers.CharField(max_length=300, help_text="The field's JSON pointer, e.g. /governing_law")
    value = serializers.JSONField(required=False, allow_null=True,
                                  help_text="The right value (any JSON the schema allows); not with confirm")
    decision = serializers.ChoiceField(choices=["correct", "confirm"], default="correct",
                                       help_text="confirm: the model's value is right as it is")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def validate(self, attrs):
        if attrs["decision"] == "correct" and "value" not in attrs:
            raise serializers.ValidationError({"value": "a correction needs a value (or decision confirm)"})
        return attrs


@extend_schema_field(serializers.DictField(child=SpanSerializer(many=True)))
class GroundingField(serializers.JSONField):
    pass


@extend_schema_field(serializers.DictField(child=ClauseSerializer()))
class ClausesField(serializers.JSONField):
    pass


class ExtractionSerializer(serializers.Serializer):
    """The extraction envelope: the contract's ``extract`` record (§4), reviewers' corrections, the
    review state and, for contracts, the clauses (§8)."""

    id = serializers.UUIDField(help_text="The document's id")
    schema = serializers.CharField(help_text="Extraction schema name")
    schema_version = serializers.CharField()
    # The contract's field name; DRF's metaclass moves declared fields off the class, so .data stays.
    data = serializers.DictField(help_text="The model's values, valid against the schema")  # type: ignore[assignment]
    grounding = GroundingField(help_text="JSON pointer of each value -> its spans in the text; [] when "
                                         "the text does not support it")
    ungrounded = serializers.ListField(child=serializers.CharField())
    confidence = serializers.DictField(child=serializers.FloatField())
    valid = serializers.BooleanField()
    model = serializers.CharField()
    escalated = serializers.BooleanField()
    text_sha256 = serializers.CharField()
    created = serializers.DateTimeField()
    corrections = CorrectionSerializer(many=True)
    review = ExtractionReviewSerializer()
    clauses = ClausesField(required=False, help_text="Contracts: CUAD category name -> clause")
    risks = serializers.ListField(child=serializers.DictField(), required=False,
                                  help_text="Contracts: risks the clause review found")


# --- Erasure, tokens, webhooks --------------------------------------------------------------------


class ErasureReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, help_text=(
        "Why (kept in clear in the audit log): a reference such as the request's number, never a name"))


class ErasureSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    erased_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=StageStatus.choices)


class ApiTokenSerializer(serializers.Serializer):
    """One of your API tokens (never its key: that is shown once, when it is made)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters, to recognise it")
    created = serializers.DateTimeField()
    last_used = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "started", "seconds", "status_code", "error", "outcome"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """A webhook you gave at upload and every attempt to deliver it."""

    id = serializers.IntegerField(help_text="Sent as X-Docintel-Delivery")
    url = serializers.CharField(source="webhook_url")
    state = serializers.ChoiceField(source="webhook_state", choices=WebhookState.choices)
    next_attempt_at = serializers.DateTimeField(source="webhook_next_at", allow_null=True)
    delivered_at = serializers.DateTimeField(source="notified_at", allow_null=True)
    attempts = WebhookAttemptSerializer(source="webhook_attempts", many=True)

    class Meta:
        model = UploadRequest
        fields = ["id", "url", "state", "next_attempt_at", "delivered_at", "attempts"]
