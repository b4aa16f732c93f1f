"""The compliance officer's API (contract §5 and §8): events with filters, exports, inclusion and
consistency proofs, signed tree heads with their witnesses' cosignatures, the public keys.

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
from audit.models import AuditEvent, SignedTreeHead, WitnessCosignature, format_time
from audit.proofs import consistency_document, inclusion_document
from audit.queries import EventFilterForm, tree_status
from docintel.accounts import roles
from docintel.errors import InputError

from .errors import declared_errors
from .listing import fetch_page
from .pagination import Pagination
from .permissions import HasRole

ERRORS = declared_errors(400, 401, 403, 429)


class AuditEventSerializer(serializers.Serializer):
    """One event of the log, every field, exactly as exports write and the chain hashes it."""

    seq = serializers.IntegerField(help_text="Unique, increasing number (the tree's leaf index is gapless)")
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
    prev_hash = serializers.CharField(allow_blank=True, help_text="Version 1 events only: the chain link")
    hash = serializers.CharField(help_text="The event's Merkle leaf hash, SHA-256(0x00 || canonical JSON)")


class SignedTreeHeadSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField(help_text="hex SHA-256")
    timestamp = serializers.CharField(help_text="ISO 8601 UTC, exactly as signed")
    key_id = serializers.CharField()
    signature = serializers.CharField(help_text="base64 Ed25519 signature over the canonical JSON of the "
                                                "other four fields")


class CosignatureSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField()
    witness = serializers.CharField()
    witness_key_id = serializers.CharField()
    timestamp = serializers.CharField()
    signature = serializers.CharField()


class AuditLogStatusSerializer(serializers.Serializer):
    """Where the log stands: the tree, the newest signed head, integration lag, witnesses, alerts."""

    ok = serializers.BooleanField(help_text="the newest signed tree head verifies and extends what the last "
                                            "audit_verify checked (or the empty tree), and no alert stands")
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField()
    verified_up_to = serializers.IntegerField(help_text="tree size the last audit_verify checked")
    latest_tree_head = SignedTreeHeadSerializer(allow_null=True)
    pending = serializers.IntegerField(help_text="events committed but not yet in the tree")
    oldest_pending_s = serializers.FloatField()
    last_cosignature = CosignatureSerializer(allow_null=True)
    alerts = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField(allow_blank=True)
    last_full_run = AuditEventSerializer(allow_null=True)


class PublicKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    key_id = serializers.CharField()
    pem = serializers.CharField()


class InclusionProofSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    leaf_index = serializers.IntegerField()
    leaf_hash = serializers.CharField()
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField()
    path = serializers.ListField(child=serializers.CharField(), help_text="hex hashes, RFC 9162 order")
    sth = SignedTreeHeadSerializer()
    event = AuditEventSerializer(allow_null=True)
    public_keys = PublicKeySerializer(many=True)


class ConsistencyProofSerializer(serializers.Serializer):
    old_size = serializers.IntegerField()
    new_size = serializers.IntegerField()
    old_root = serializers.CharField()
    new_root = serializers.CharField()
    path = serializers.ListField(child=serializers.CharField(), help_text="hex hashes, RFC 9162 order")
    old_sth = SignedTreeHeadSerializer(allow_null=True)
    new_sth = SignedTreeHeadSerializer(allow_null=True)
    public_keys = PublicKeySerializer(many=True)


class TreeHeadSerializer(SignedTreeHeadSerializer):
    reason = serializers.CharField(help_text="interval, timer, export, rotation or on_demand")
    cosignatures = CosignatureSerializer(many=True)


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
    """GET, as the contract has it: here a token, never a cookie, authenticates, so no cross-site page
    can make a browser export (the web page's export, cookie-authenticated, is POST with CSRF)."""

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
        return self._export(request, request.query_params)

    def _export(self, request, params):
        export_format = params.get("format", "jsonl")
        if export_format not in export.FORMATS:
            raise InputError("bad_format", f"format must be one of {', '.join(export.FORMATS)}")
        form = valid_filters({k: v for k, v in params.items() if k in ("since", "until")})
        zipped = params.get("bundle") == "zip"
        return export.export_response(request, form.cleaned_data.get("since"), form.cleaned_data.get("until"),
                                      export_format, zipped=zipped, via="api")


class StatusView(AuditAPIView):
    @extend_schema(summary="The log's status: tree size and root, newest signed head, lag, witnesses, alerts",
                   responses={200: AuditLogStatusSerializer, **ERRORS})
    def get(self, request):
        record_event("audit.read", actor=request.user, purpose="audit review", details={"via": "api",
                                                                                        "view": "status"})
        return Response(tree_status())


class ProofView(AuditAPIView):
    @extend_schema(summary="An event's Merkle inclusion proof against a signed tree head",
                   operation_id="audit_event_proof",
                   parameters=[OpenApiParameter("tree_size", int, description="Prove against this tree size "
                                                "(default: the newest signed head that covers the event)")],
                   responses={200: InclusionProofSerializer, **declared_errors(404, 409), **ERRORS})
    def get(self, request, seq: int):
        tree_size = _int_param(request.query_params, "tree_size", required=False)
        proof = inclusion_document(seq, tree_size)  # ProofError: 400, 404 or 409 with its message
        record_event("audit.proved", actor=request.user, purpose="audit review",
                     details={"via": "api", "seq": seq, "tree_size": proof["tree_size"]})
        return Response(proof)


class ConsistencyView(AuditAPIView):
    @extend_schema(summary="A consistency proof: the newer tree only grew from the older",
                   operation_id="audit_consistency",
                   parameters=[OpenApiParameter("old", int, required=True),
                               OpenApiParameter("new", int, required=True)],
                   responses={200: ConsistencyProofSerializer, **declared_errors(409), **ERRORS})
    def get(self, request):
        old = _int_param(request.query_params, "old")
        new = _int_param(request.query_params, "new")
        proof = consistency_document(old, new)
        record_event("audit.proved", actor=request.user, purpose="audit review",
                     details={"via": "api", "old_size": old, "new_size": new})
        return Response(proof)


def _int_param(params, name: str, *, required: bool = True):
    raw = params.get(name)
    if raw in (None, ""):
        if required:
            raise InputError("bad_parameter", f"{name} is required (a whole number)")
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InputError("bad_parameter", f"{name} must be a whole number") from None
    if value < 0:
        raise InputError("bad_parameter", f"{name} must not be negative")
    return value


class TreeHeadsView(AuditAPIView, GenericAPIView):
    pagination_class = Pagination
    serializer_class = TreeHeadSerializer

    @extend_schema(summary="Signed tree heads, newest first, with their witnesses' cosignatures",
                   operation_id="audit_tree_heads_list",
                   responses={200: TreeHeadSerializer(many=True), **declared_errors(404), **ERRORS})
    def get(self, request):
        page = self.paginate_queryset(SignedTreeHead.objects.order_by("-tree_size", "-id")) or []
        sizes = {head.tree_size for head in page}
        cosigned: dict[int, list[dict]] = {}
        for cosignature in WitnessCosignature.objects.filter(tree_size__in=sizes):
            cosigned.setdefault(cosignature.tree_size, []).append(cosignature.as_dict())
        record_event("audit.read", actor=request.user, purpose="audit review",
                     details={"via": "api", "view": "tree heads", "returned": len(page)})
        return self.get_paginated_response([
            {**head.as_dict(), "reason": head.reason,
             "cosignatures": [cosignature for cosignature in cosigned.get(head.tree_size, [])
                              if cosignature["root_hash"] == head.root_hash]}
            for head in page])


class PublicKeyView(APIView):
    """Public: auditors check exports, proofs and tree heads with it."""

    permission_classes = [AllowAny]

    @extend_schema(summary="The Ed25519 public key that signs tree heads now",
                   responses={200: PublicKeySerializer})
    def get(self, request):
        return Response({"algorithm": "ed25519", "key_id": keys.signing_key_id(),
                         "pem": keys.public_key_pem()})


class PublicKeysView(APIView):
    """Public: every key that has signed tree heads (rotated keys included)."""

    permission_classes = [AllowAny]

    @extend_schema(summary="Every Ed25519 public key the log has signed with",
                   responses={200: PublicKeySerializer(many=True)})
    def get(self, request):
        return Response([{"algorithm": "ed25519", "key_id": key_id, "pem": pem}
                         for key_id, pem in keys.public_keys().items()])
