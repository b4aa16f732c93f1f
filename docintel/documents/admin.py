"""Documents in the admin: a list to find them and erase them (GDPR), never to edit or delete them.

Documents change only through ``docintel.documents.actions`` and erasure, which audit what they do; a
document and its outputs leave only through erasure (key destroyed, ``document.erased`` recorded), so
no admin offers to delete them. The text is left out of the document's page; the pages of outputs that
show document content (redacted text, extractions, corrections) are ``DocumentContentAdmin``s, and
opening one is a ``document.viewed`` event like any other view.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from audit.admin import ReadOnlyAdmin

from .access import record_list, record_read
from .erasure import erase_document
from .models import Document


class ErasureForm(forms.Form):
    reason = forms.CharField(max_length=500, help_text="The request's reference, e.g. “GDPR art. 17 request "
                             "2026-114”. It is kept in the audit log: no personal data.")


@admin.action(description="Erase selected documents (GDPR)", permissions=["erase"])
def erase_documents(modeladmin, request, queryset):
    """Asks for a reason on a confirmation page, then erases each document."""
    form = ErasureForm(request.POST if "reason" in request.POST else None)
    if form.is_valid():
        for document in queryset:
            erase_document(document, actor=request.user, reason=form.cleaned_data["reason"])
        modeladmin.message_user(request, f"{queryset.count()} document(s) erased.", messages.SUCCESS)
        return None
    return TemplateResponse(request, "documents/erase_confirm.html", {
        **modeladmin.admin_site.each_context(request), "title": "Erase documents (GDPR)", "form": form,
        "documents": queryset, "opts": modeladmin.model._meta,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    })


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("id", "filename", "kind", "status", "pages", "created", "erased_at")
    list_filter = ("status", "kind", "created")
    search_fields = ("=id", "filename", "=sha256")
    exclude = ("text", "page_offsets")
    actions = [erase_documents]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # erasure is the only way out

    def has_erase_permission(self, request) -> bool:
        return self.admin_site.has_permission(request)

    # Contract §7: every view is an event, in the admin too (issue 12, finding 13).
    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if request.method == "GET" and changelist is not None:
            record_list(request.user, [document.pk for document in changelist.result_list], via="admin",
                        filters={"admin_query": "(search)"} if request.GET.get("q") else {})
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            record_read(object_id, request.user, "admin_page", via="admin")
        return response


class DocumentContentAdmin(ReadOnlyAdmin):
    """A read-only admin of rows that hold a document's content: opening one is an audited view."""

    def content_document(self, obj):
        return getattr(obj, "document", None) or getattr(getattr(obj, "extraction", None), "document", None)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original") if response.status_code == 200 else None
        if obj is not None:
            record_read(self.content_document(obj), request.user, self.model._meta.model_name, via="admin")
        return response
