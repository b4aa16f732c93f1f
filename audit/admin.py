"""The audit log in the admin: readable, never editable (the database would refuse anyway)."""

from __future__ import annotations

from django.contrib import admin

from .models import AuditCheckpoint, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records of what happened (events, model outputs): listed and read, never added, changed or
    deleted in the admin."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "time", "action", "actor_username", "actor_role", "document_id", "purpose")
    list_filter = ("action",)
    search_fields = ("=seq", "action", "actor_username", "=document_id")
    date_hierarchy = "time"


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("size", "time", "reason", "key_id", "head_hash")
