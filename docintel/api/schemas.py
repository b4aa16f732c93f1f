"""Extraction schemas through the API: every role reads them (they hold no document data); admins add
a version (``extraction.schemas.register_schema``: validated, versioned, audited). A version that an
extraction used never changes, so ``{name}/versions/{version}/`` always answers the same."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from docintel.accounts import roles
from docintel.errors import InputError
from extraction.builtin_schemas import BUILTIN_SCHEMAS, BUILTIN_VERSION
from extraction.json_schema import schema_sha256
from extraction.models import SchemaVersion
from extraction.schemas import get_schema, register_schema, schema_names

from .errors import declared_errors
from .permissions import HasRole
from .throttling import TokenRateThrottle


class ExtractionSchemaSerializer(serializers.Serializer):
    """A schema's name and versions (the list)."""

    name = serializers.CharField()
    builtin = serializers.BooleanField()
    version = serializers.CharField(help_text="The newest version: what new documents are extracted with")
    versions = serializers.ListField(child=serializers.CharField())


class ExtractionSchemaVersionSerializer(serializers.Serializer):
    """One version of a schema, with the JSON Schema itself."""

    name = serializers.CharField()
    version = serializers.CharField()
    builtin = serializers.BooleanField()
    sha256 = serializers.CharField(help_text="SHA-256 of the schema's canonical JSON")
    schema = serializers.DictField(help_text="A JSON Schema (draft 2020-12) of one JSON object")
    created = serializers.DateTimeField(allow_null=True, help_text="null for built-in schemas")


class NewSchemaVersionSerializer(serializers.Serializer):
    schema = serializers.DictField(help_text="A JSON Schema (draft 2020-12) of one JSON object")


def _versions(name: str) -> list[str]:
    if name in BUILTIN_SCHEMAS:
        return [BUILTIN_VERSION]
    return [str(v) for v in SchemaVersion.objects.filter(name=name).order_by("version")
            .values_list("version", flat=True)]


def _version_record(name: str, version: str | None = None) -> dict:
    """404 (not 400) for a schema or version that does not exist: it is a resource here."""
    if version is not None and not version.isdigit():
        raise Http404("no such schema version")
    try:
        ref = get_schema(name, version)
    except InputError:
        raise Http404("no such schema or version") from None
    row = SchemaVersion.objects.filter(pk=ref.custom_id).first() if ref.custom_id else None
    return {"name": ref.name, "version": ref.version, "builtin": ref.custom_id is None,
            "sha256": row.sha256 if row else schema_sha256(ref.schema), "schema": ref.schema,
            "created": row.created if row else None}


class SchemaAPIView(APIView):
    permission_classes = [HasRole]
    required_roles = roles.READ_SCHEMAS
    throttle_classes = [TokenRateThrottle]


class SchemaListView(SchemaAPIView):
    @extend_schema(summary="Extraction schemas and their versions", operation_id="schemas_list",
                   responses={200: ExtractionSchemaSerializer(many=True), **declared_errors(401, 403, 429)})
    def get(self, request):
        return Response([{"name": name, "builtin": name in BUILTIN_SCHEMAS, "version": versions[-1],
                          "versions": versions}
                         for name in schema_names() if (versions := _versions(name))])


class SchemaDetailView(SchemaAPIView):
    @extend_schema(summary="The newest version of a schema", operation_id="schemas_retrieve",
                   responses={200: ExtractionSchemaVersionSerializer, **declared_errors(401, 403, 404, 429)})
    def get(self, request, name: str):
        return Response(ExtractionSchemaVersionSerializer(_version_record(name)).data)


class SchemaVersionView(SchemaAPIView):
    @extend_schema(summary="One version of a schema", operation_id="schemas_versions_retrieve",
                   responses={200: ExtractionSchemaVersionSerializer, **declared_errors(401, 403, 404, 429)})
    def get(self, request, name: str, version: str):
        return Response(ExtractionSchemaVersionSerializer(_version_record(name, version)).data)


class SchemaVersionCreateView(SchemaAPIView):
    required_roles = roles.MANAGE_SCHEMAS

    @extend_schema(
        summary="Register a new version of a custom schema (admins)", operation_id="schemas_versions_create",
        request=NewSchemaVersionSerializer,
        responses={201: ExtractionSchemaVersionSerializer,
                   200: OpenApiResponse(ExtractionSchemaVersionSerializer,
                                        description="The same schema as the newest version: nothing new"),
                   **declared_errors(400, 401, 403, 404, 429)})
    def post(self, request, name: str):
        form = NewSchemaVersionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        newest = SchemaVersion.objects.filter(name=name).first()
        try:
            row = register_schema(name, form.validated_data["schema"], actor=request.user)
        except ValidationError as error:
            raise InputError("invalid_schema", " ".join(error.messages)) from None
        created = newest is None or row.pk != newest.pk
        return Response(ExtractionSchemaVersionSerializer(_version_record(name, str(row.version))).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
