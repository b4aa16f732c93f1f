"""Role checks for API endpoints: the view (or the action) names the roles it needs (from
``docintel.accounts.roles``); a signed-in caller without one gets 403 and an ``access.denied`` event,
an anonymous one 401."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from audit.actions import record_denial
from audit.middleware import note_authenticated
from docintel.accounts.roles import has_role


class HasRole(BasePermission):
    """DRF permission: the view sets ``required_roles`` (and optionally ``action_roles``)."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False  # DRF answers 401 with the authentication challenge
        note_authenticated(request.user)  # the actor of events the receivers record for this request
        action = getattr(view, "action", None)
        required = getattr(view, "action_roles", {}).get(action) or view.required_roles
        if has_role(request.user, *required):
            return True
        record_denial(request, required)
        return False
