"""Documents in the admin: a list to find them and erase them (GDPR), never to edit them.

Documents change only through ``docintel.documents.actions`` and erasure, which audit what they do;
the text is left out of the admin because reading it there would be an unaudited view.
"""

from django.contrib import admin

from audit.admin import erase_documents

from .models import Document


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
