"""Role checks for web views and API endpoints, both built on ``roles.has_role``.

A view names what it needs (a tuple from ``roles``); anyone signed in without it gets 403 and an
``access.denied`` audit event. Anonymous visitors are sent to the login page (web) or get 401 (API).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .roles import has_role, record_denial


def deny(request, required: tuple[str, ...], document=None):
    """Audit the refusal and raise 403 (rendered by the 403 template or the API error handler)."""
    record_denial(request, required, document)
    raise PermissionDenied("Your role does not allow this.")


def role_required(*required: str):
    """Decorator for web views: signed in, and holding one of ``required``."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *required):
                deny(request, required)
            return view(request, *args, **kwargs)

        wrapper.required_roles = required
        return wrapper

    return decorator


class HasRole(BasePermission):
    """DRF permission: the view (or the action) sets ``required_roles``; denials are audited."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False  # DRF answers 401 with the authentication challenge
        action = getattr(view, "action", None)
        required = getattr(view, "action_roles", {}).get(action) or view.required_roles
        if has_role(request.user, *required):
            return True
        record_denial(request, required)
        return False
