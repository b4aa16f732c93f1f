"""The audit log in the admin: readable, never editable (the database would refuse anyway); and the
GDPR erasure action on documents."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from docintel.documents.erasure import erase_document

from .models import AuditCheckpoint, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
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


class ErasureForm(forms.Form):
    reason = forms.CharField(max_length=500, help_text="The request's reference, e.g. “GDPR art. 17 request "
                             "2026-114”. It is kept in the audit log: no personal data.")


@admin.action(description="Erase selected documents (GDPR)", permissions=["delete"])
def erase_documents(modeladmin, request, queryset):
    """Asks for a reason on a confirmation page, then erases each document."""
    form = ErasureForm(request.POST if "reason" in request.POST else None)
    if form.is_valid():
        for document in queryset:
            erase_document(document, actor=request.user, reason=form.cleaned_data["reason"])
        modeladmin.message_user(request, f"{queryset.count()} document(s) erased.", messages.SUCCESS)
        return None
    return TemplateResponse(request, "audit/erase_confirm.html", {
        **modeladmin.admin_site.each_context(request), "title": "Erase documents (GDPR)", "form": form,
        "documents": queryset, "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    })
