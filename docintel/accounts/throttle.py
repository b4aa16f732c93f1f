"""Failed-login throttling per (username, client address), kept in Django's cache.

After ``LOGIN_MAX_FAILURES`` failures within ``LOGIN_LOCKOUT_S`` seconds, that username from that
address is refused until the window passes, even with the right password.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    # Behind the bundled nginx the peer is the proxy; it sets X-Real-IP (deploy/nginx).
    if settings.TRUST_X_REAL_IP and request.META.get("HTTP_X_REAL_IP"):
        return request.META["HTTP_X_REAL_IP"]
    return request.META.get("REMOTE_ADDR", "")


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.lower()}|{address}".encode()).hexdigest()
    return f"docintel:login-failures:{digest}"


def is_locked(username: str, address: str) -> bool:
    return cache.get(_key(username, address), 0) >= settings.LOGIN_MAX_FAILURES


def note_failure(username: str, address: str) -> None:
    key = _key(username, address)
    if cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_S):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_S)


def clear(username: str, address: str) -> None:
    cache.delete(_key(username, address))
