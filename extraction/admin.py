"""Admin: custom schemas are added here (each save of a changed schema is a new version); extractions
and corrections are read-only (they change only through extraction.actions, with their audit events)."""

from __future__ import annotations

from django.contrib import admin

from docintel.documents.admin import DocumentContentAdmin

from .models import Correction, Extraction, SchemaVersion
from .schemas import register_schema


@admin.register(SchemaVersion)
class SchemaVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "created", "created_by")
    list_filter = ("name",)
    fields = ("name", "schema", "version", "sha256", "created_by", "created")
    readonly_fields = ("version", "sha256", "created_by", "created")

    def get_readonly_fields(self, request, obj=None):
        # A stored version never changes: editing one registers the next version of the same name.
        return (*self.readonly_fields, "name") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        saved = register_schema(obj.name, obj.schema, actor=request.user)
        obj.pk, obj.version, obj.sha256 = saved.pk, saved.version, saved.sha256

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.in_use


@admin.register(Extraction)
class ExtractionAdmin(DocumentContentAdmin):
    list_display = ("document", "schema_name", "schema_version", "model", "valid", "escalated", "created")
    list_filter = ("schema_name", "valid", "escalated")


@admin.register(Correction)
class CorrectionAdmin(DocumentContentAdmin):
    list_display = ("extraction", "pointer", "status", "corrected_by", "created")
