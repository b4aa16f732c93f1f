"""Role checks for web pages: signed in, holding one of the roles the page names (from
``docintel.accounts.roles``); anyone else gets 403 and an ``access.denied`` event. Anonymous visitors go
to the sign-in page."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login

from docintel.accounts.roles import has_role
from docintel.documents.access import deny


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

        wrapper.required_roles = required  # type: ignore[attr-defined]  # read by the role-matrix test
        return wrapper

    return decorator
