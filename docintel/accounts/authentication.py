"""``Authorization: Token <key>`` against hashed, revocable ApiTokens.

Known tokens are kept in this process for ``DOCINTEL_API_TOKEN_CACHE_S`` seconds (5 by default) with
their user and roles, so that a busy client costs no database query per request for its identity. A
token revoked, a user deactivated or a role changed takes effect within those seconds in every process,
and at once in the process that made the change (its cache entry is dropped on save).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_token
from .roles import roles_of

LAST_USED_RESOLUTION = timedelta(minutes=5)  # do not write a row on every request


@dataclass(frozen=True)
class KnownToken:
    token_id: int
    scope: str  # which documents the token reaches (TokenScope), fixed when it was issued
    user_fields: tuple  # the user's concrete field values, in _USER_FIELDS order
    roles: frozenset[str]
    expires: float  # time.monotonic() after which the database is asked again


_known: dict[str, KnownToken] = {}
_lock = threading.Lock()
_USER_FIELDS: list[str] = []


def forget(key_hash: str | None = None) -> None:
    """Drop one cached token (or all): the next request with it asks the database."""
    with _lock:
        if key_hash is None:
            _known.clear()
        else:
            _known.pop(key_hash, None)


class ApiTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        key_hash = hash_token(key)
        known = _known.get(key_hash)
        if known is None or known.expires < time.monotonic():
            known = self._look_up(key_hash)
        User = get_user_model()
        user = User.from_db(None, _USER_FIELDS, known.user_fields)  # a fresh instance per request
        user.__dict__["_docintel_roles"] = set(known.roles)  # what roles.roles_of would ask the database
        token = ApiToken.from_db(None, ["id", "user_id", "scope"], [known.token_id, user.pk, known.scope])
        return user, token

    @staticmethod
    def _look_up(key_hash: str) -> KnownToken:
        token = ApiToken.objects.active().select_related("user").filter(key_hash=key_hash).first()
        if token is None:
            forget(key_hash)
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        user = token.user
        if not _USER_FIELDS:
            _USER_FIELDS.extend(field.attname for field in user._meta.concrete_fields)
        known = KnownToken(token.pk, token.scope, tuple(getattr(user, name) for name in _USER_FIELDS),
                           frozenset(roles_of(user)), time.monotonic() + settings.API_TOKEN_CACHE_S)
        if settings.API_TOKEN_CACHE_S > 0:
            with _lock:
                _known[key_hash] = known
        return known


def _forget_token(sender, instance, **kwargs) -> None:
    forget(instance.key_hash)


def _forget_all(sender, **kwargs) -> None:
    """A user or their roles changed: drop every cached token of this process (rare; cheap)."""
    forget()


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    User = get_user_model()
    post_save.connect(_forget_token, sender=ApiToken, dispatch_uid="accounts-forget-token")
    post_delete.connect(_forget_token, sender=ApiToken, dispatch_uid="accounts-forget-token-deleted")
    post_save.connect(_forget_all, sender=User, dispatch_uid="accounts-forget-user")
    m2m_changed.connect(_forget_all, sender=User.groups.through, dispatch_uid="accounts-forget-roles")
