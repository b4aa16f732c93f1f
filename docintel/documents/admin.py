"""Documents in the admin: a list to find them and erase them (GDPR), never to edit them.

Documents change only through ``docintel.documents.actions`` and erasure, which audit what they do;
the text is left out of the admin because reading it there would be an unaudited view.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from .access import record_list, record_read
from .erasure import erase_document
from .models import Document


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
