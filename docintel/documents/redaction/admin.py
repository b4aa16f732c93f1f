from django.contrib import admin

from .models import AllowListEntry, CustomRecognizer, DenyListEntry, RedactionPolicy, RedactionResult


@admin.register(RedactionResult)
class RedactionResultAdmin(admin.ModelAdmin):
    # Read-only: a redaction is produced by the pipeline, never edited by hand.
    list_display = ("document", "mode", "recognizer_version", "created")
    readonly_fields = ("document", "redacted_text", "entities", "mode", "recognizer_version", "created")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
