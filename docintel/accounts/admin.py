from django.contrib import admin

from .models import ApiToken, DocumentAssignment


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created", "last_used", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["prefix", "key_hash", "created", "last_used"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            token.revoke()

    def has_add_permission(self, request):  # keys are shown once: issue them on the token page
        return False


@admin.register(DocumentAssignment)
class DocumentAssignmentAdmin(admin.ModelAdmin):
    list_display = ["document", "user", "created"]
    search_fields = ["user__username", "document__filename"]
    raw_id_fields = ["document", "user"]
