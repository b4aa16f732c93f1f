from django.contrib import admin

from docintel.documents.admin import DocumentContentAdmin

from .models import AllowListEntry, CustomRecognizer, DenyListEntry, RedactionPolicy, RedactionResult


@admin.register(RedactionResult)
class RedactionResultAdmin(DocumentContentAdmin):
    # A redaction is produced by the pipeline, never edited (or deleted: erasure does that) by hand.
    list_display = ("document", "mode", "recognizer_version", "created")


@admin.register(RedactionPolicy)
class RedactionPolicyAdmin(admin.ModelAdmin):
    list_display = ("score_threshold", "updated")


@admin.register(AllowListEntry)
class AllowListEntryAdmin(admin.ModelAdmin):
    list_display = ("term", "note")
    search_fields = ("term",)


@admin.register(DenyListEntry)
class DenyListEntryAdmin(admin.ModelAdmin):
    list_display = ("term", "entity_type")
    search_fields = ("term",)


@admin.register(CustomRecognizer)
class CustomRecognizerAdmin(admin.ModelAdmin):
    list_display = ("name", "entity_type", "score", "enabled")
    list_filter = ("entity_type", "enabled")
