"""The compliance officer's API (contract §5): events with filters, exports, the public key.

Compliance and admin roles only; anyone else gets 403 and an ``access.denied`` event. Every read is
itself an event (``audit.read``, ``audit.exported``).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import export, keys
from audit.actions import record_event
from audit.queries import EventFilterForm, chain_status
from docintel.accounts import roles
from docintel.errors import InputError

from .pagination import Pagination
from .permissions import HasRole
from .serializers import ErrorSerializer

ERRORS = {400: OpenApiResponse(ErrorSerializer, description="Bad filter, format or empty range"),
          401: OpenApiResponse(ErrorSerializer, description="Not signed in"),
          403: OpenApiResponse(ErrorSerializer, description="Your role does not allow this"),
          429: OpenApiResponse(ErrorSerializer, description="Rate limit reached")}
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


class EventsView(AuditAPIView, GenericAPIView):
    pagination_class = Pagination

    @extend_schema(summary="Audit events, newest first", parameters=FILTERS, responses={
        200: OpenApiTypes.OBJECT, 404: OpenApiResponse(ErrorSerializer, description="No such page"),
        **ERRORS})
    def get(self, request):
        form = valid_filters(request.query_params)
        page = self.paginate_queryset(form.events()) or []
        record_event("audit.read", actor=request.user, purpose="audit review",
                     details={"via": "api", "filters": form.applied(), "returned": len(page)})
        return self.get_paginated_response([event.as_record() for event in page])


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
                   responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request):
        record_event("audit.read", actor=request.user, purpose="audit review", details={"via": "api",
                                                                                        "view": "status"})
        return Response(chain_status())


class PublicKeyView(APIView):
    """Public: auditors check exports and checkpoints with it."""

    permission_classes = [AllowAny]

    @extend_schema(summary="The Ed25519 public key that signs checkpoints",
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"algorithm": "ed25519", "key_id": keys.signing_key_id(),
                         "pem": keys.public_key_pem()})
