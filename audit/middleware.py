"""Who is acting, for events recorded far from the request (signal receivers: role changes made in
the admin). Add ``audit.middleware.AuditActorMiddleware`` after ``AuthenticationMiddleware``."""

from __future__ import annotations

from contextvars import ContextVar

_actor: ContextVar = ContextVar("audit_actor", default=None)


def current_actor():
    """The signed-in user of the request being served, or None (workers, commands)."""
    user = _actor.get()
    return user if getattr(user, "is_authenticated", False) else None


def note_authenticated(user) -> None:
    """API requests authenticate inside the view (API tokens): from then on that user is the actor of
    events recorded far from the request (a token revoked, an assignment removed)."""
    _actor.set(user)


class AuditActorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _actor.set(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)
