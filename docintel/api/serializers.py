from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from docintel.documents.models import Document, DocumentKind


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


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A PDF or plain-text file.", allow_empty_file=True)
    kind = serializers.ChoiceField(choices=DocumentKind.choices, default=DocumentKind.AUTO, required=False)
    schema = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                   help_text="Extraction schema name; blank: chosen by kind.")
    webhook_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=500,
                                       help_text="POSTed (HMAC-signed) once when the document settles.")


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


class RedactedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    redacted_text = serializers.CharField()
    entities = EntitySerializer(many=True)
    mode = serializers.CharField()


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
