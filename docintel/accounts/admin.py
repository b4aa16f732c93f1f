"""Accounts, API tokens and document assignments in the admin, and who may use the admin at all.

- The admin site is for the ``admin`` role (a superuser counts): ``is_staff`` alone is not enough.
- Bulk delete is off everywhere: it would remove rows one model's own rules protect (documents leave
  only through GDPR erasure, people are deactivated, tokens revoked).
- Every add, change and delete made here is an ``admin.changed`` audit event, and token, assignment
  and account changes have their own events (``audit.receivers``), in the change's transaction.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import ApiToken, DocumentAssignment
from .roles import Role, has_role


def _admin_role_only(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and has_role(user, Role.ADMIN)


admin.site.has_permission = _admin_role_only  # type: ignore[method-assign]
admin.site.disable_action("delete_selected")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "scope", "created", "last_used", "revoked_at"]
    list_filter = ["revoked_at", "scope"]
    search_fields = ["user__username", "name", "prefix"]
    # A token belongs to one account for life, and a revoked one stays revoked: only its name changes.
    readonly_fields = ["user", "prefix", "key_hash", "scope", "created", "last_used", "revoked_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            token.revoke()

    def has_add_permission(self, request):  # keys are shown once: issue them on the token page
        return False

    def has_delete_permission(self, request, obj=None):  # revoked, never deleted: the record stays
        return False


@admin.register(DocumentAssignment)
class DocumentAssignmentAdmin(admin.ModelAdmin):
    """Granting a person a document (added) or taking it back (deleted); never edited in place."""

    list_display = ["document", "user", "created"]
    search_fields = ["user__username", "document__filename"]
    raw_id_fields = ["document", "user"]

    def has_change_permission(self, request, obj=None):
        return obj is None  # the list, not an edit of one grant


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PeopleAdmin(UserAdmin):
    """People are deactivated, never deleted: audit events and documents keep pointing at them."""

    def has_delete_permission(self, request, obj=None):
        return False
