"""The compliance officer's API (contract §5): events with filters, exports, the public key.

Compliance and admin roles only; anyone else gets 403 and an ``access.denied`` event. Every read is
itself an event (``audit.read``, ``audit.exported``).
"""

from __future__ import annotations

import orjson
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import export, keys
from audit.actions import record_event
from audit.models import AuditEvent, format_time
from audit.queries import EventFilterForm, chain_status
from docintel.accounts import roles
from docintel.errors import InputError

from .errors import declared_errors
from .listing import fetch_page
from .pagination import Pagination
from .permissions import HasRole

ERRORS = declared_errors(400, 401, 403, 429)


class AuditEventSerializer(serializers.Serializer):
    """One event of the log, every field, exactly as exports write and the chain hashes it."""

    seq = serializers.IntegerField(help_text="Gapless sequence number")
    time = serializers.CharField(help_text="ISO 8601 UTC, exactly as hashed")
    action = serializers.CharField(help_text="e.g. document.uploaded, document.viewed, model.inference")
    actor_id = serializers.IntegerField(allow_null=True)
    actor_username = serializers.CharField(allow_blank=True)
    actor_role = serializers.CharField(allow_blank=True)
    document_id = serializers.UUIDField(allow_null=True)
    purpose = serializers.CharField(allow_blank=True)
    details = serializers.DictField(help_text="What happened (no document content)")
    sensitive = serializers.CharField(allow_null=True, allow_blank=True,
                                      help_text="Encrypted with the document's key (unreadable once erased)")
    prev_hash = serializers.CharField()
    hash = serializers.CharField(help_text="SHA-256 over prev_hash and this event's canonical JSON")


class AuditCheckpointSerializer(serializers.Serializer):
    size = serializers.IntegerField()
    head_hash = serializers.CharField()
    time = serializers.CharField()
    key_id = serializers.CharField()
    signature = serializers.CharField(help_text="base64 Ed25519 signature")


class AuditChainStatusSerializer(serializers.Serializer):
    """Where the chain stands: verified up to which event, the last signed checkpoint, the head."""

    ok = serializers.BooleanField(allow_null=True, help_text="null: too many events since the last full run")
    verified_up_to = serializers.IntegerField()
    head_seq = serializers.IntegerField()
    head_hash = serializers.CharField()
    first_bad_seq = serializers.IntegerField(allow_null=True, required=False)
    message = serializers.CharField(allow_null=True, allow_blank=True, required=False)
    last_checkpoint = AuditCheckpointSerializer(allow_null=True, required=False)
    last_full_run = AuditEventSerializer(allow_null=True)


class AuditPublicKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    key_id = serializers.CharField()
    pem = serializers.CharField()


FILTERS = [
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="Events at or after this moment"),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Events before this moment"),
    OpenApiParameter("actor", str, description="User name or id"),
    OpenApiParameter("action", str, description="An action, or a prefix ending in '.' (auth.)"),
    OpenApiParameter("document", OpenApiTypes.UUID, description="Document id"),
]


def valid_filters(params) -> EventFilterForm:
    form = EventFilterForm(params)
    if not form.is_valid():
        raise InputError.from_form("bad_filter", form)
    return form


class AuditAPIView(APIView):
    permission_classes = [HasRole]
    required_roles = roles.READ_AUDIT


EVENT_COLUMNS = ["seq", "time", "action", "actor_id", "actor_username", "actor_role", "document_id",
                 "purpose", "details", "sensitive", "prev_hash", "hash"]
# The log is gapless: its last seq is its exact size, read from the primary key's index.
EVENT_COUNT_SQL = f"SELECT MAX(seq) FROM {AuditEvent._meta.db_table}"

def event_record(row: tuple) -> dict:
    """``AuditEvent.as_record()`` of an ``EVENT_COLUMNS`` row; the details go out as stored (canonical
    JSON text) instead of being parsed and written again."""
    seq, time, action, actor_id, username, role, document_id, purpose, details, sensitive, prev, digest = row
    return {"seq": seq, "time": format_time(time), "action": action, "actor_id": actor_id,
            "actor_username": username, "actor_role": role,
            "document_id": str(document_id) if document_id else None, "purpose": purpose,
            "details": orjson.Fragment(details), "sensitive": sensitive, "prev_hash": prev, "hash": digest}


class EventsView(AuditAPIView, GenericAPIView):
    pagination_class = Pagination  # the shape of the list in the OpenAPI schema (docintel.api.listing)
    serializer_class = AuditEventSerializer

    @extend_schema(summary="Audit events, newest first", parameters=FILTERS, operation_id="audit_events_list",
                   responses={200: AuditEventSerializer(many=True), **declared_errors(404), **ERRORS})
    def get(self, request):
        form = valid_filters(request.query_params)
        filters = form.applied()
        page = fetch_page(request, form.events(), columns=EVENT_COLUMNS, order=("seq",),
                          estimate_sql=None if filters else EVENT_COUNT_SQL)
        record_event("audit.read", actor=request.user, purpose="audit review",
                     details={"via": "api", "filters": filters, "returned": len(page.rows)})
        return Response(page.body([event_record(row) for row in page.rows]))


class JSONErrorsNegotiation(DefaultContentNegotiation):
    """``?format=`` names the export's format here, not a DRF renderer; errors are always JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportView(AuditAPIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONErrorsNegotiation

    @extend_schema(
        summary="Export audit events (JSONL or CSV), verifiable offline",
        description="The body is the export; its manifest (range, count, head hash, signed checkpoint, "
                    "public key) is in the X-Audit-Manifest header as base64 JSON. With bundle=zip, a zip "
                    "of both files. Check it with `python -m audit.verify_export FILE`.",
        parameters=[OpenApiParameter("format", str, enum=list(export.FORMATS)),
                    OpenApiParameter("bundle", str, enum=["zip"]), *FILTERS[:2]],
        # Declared as bytes (application/octet-stream) so that every generated client keeps them as
        # such; the response's Content-Type says which: application/x-ndjson, text/csv or application/zip.
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **ERRORS})
    def get(self, request):
        export_format = request.query_params.get("format", "jsonl")
        if export_format not in export.FORMATS:
            raise InputError("bad_format", f"format must be one of {', '.join(export.FORMATS)}")
        form = valid_filters({k: v for k, v in request.query_params.items() if k in ("since", "until")})
        zipped = request.query_params.get("bundle") == "zip"
        return export.export_response(request, form.cleaned_data.get("since"), form.cleaned_data.get("until"),
                                      export_format, zipped=zipped, via="api")


class StatusView(AuditAPIView):
    @extend_schema(summary="Chain status: verified up to which event, last signed checkpoint",
                   responses={200: AuditChainStatusSerializer, **ERRORS})
    def get(self, request):
        record_event("audit.read", actor=request.user, purpose="audit review", details={"via": "api",
                                                                                        "view": "status"})
        return Response(chain_status())


class PublicKeyView(APIView):
    """Public: auditors check exports and checkpoints with it."""

    permission_classes = [AllowAny]

    @extend_schema(summary="The Ed25519 public key that signs checkpoints",
                   responses={200: AuditPublicKeySerializer})
    def get(self, request):
        return Response({"algorithm": "ed25519", "key_id": keys.signing_key_id(),
                         "pem": keys.public_key_pem()})
