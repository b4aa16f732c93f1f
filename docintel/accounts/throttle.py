"""Sign-in throttling, in Django's cache (shared by every web process through Redis when configured).

Two rules, so that guessing is slow and nobody can lock somebody else out:

- **one user name from one client**: after ``LOGIN_MAX_FAILURES`` failures within ``LOGIN_LOCKOUT_S``,
  that name from that client is refused until the window passes, even with the right password. The same
  account from any other client is not affected.
- **one client, any user names**: after ``LOGIN_ADDRESS_FAILURES`` failures within ``LOGIN_LOCKOUT_S``,
  the client waits before each further attempt: 5 s, then twice as long after each new failure, at most
  ``LOGIN_LOCKOUT_S``. This comes first: an address guessing across many accounts is slowed down before
  any account could reach its own limit.

The client is ``REMOTE_ADDR`` as ``docintel.http_security.TrustedProxyMiddleware`` left it: the real
client behind a trusted proxy, the peer otherwise. Cache keys are hashes: the cache holds no user name
or address in clear.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

FIRST_WAIT_S = 5  # the first wait of a client past its failures; doubles with each further failure


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"docintel:login-{kind}:{digest}"


def _pair(username: str, address: str) -> str:
    return _key("failures", username.strip().lower(), address)


def _client(address: str) -> str:
    return _key("client", address)


def wait_seconds(username: str, address: str) -> int:
    """How long this attempt must wait; 0 when it may go ahead."""
    if cache.get(_pair(username, address), 0) >= settings.LOGIN_MAX_FAILURES:
        return settings.LOGIN_LOCKOUT_S
    failures, last = cache.get(_client(address)) or (0, 0.0)
    over = failures - settings.LOGIN_ADDRESS_FAILURES
    if over < 0:
        return 0
    delay = min(FIRST_WAIT_S * 2 ** over, settings.LOGIN_LOCKOUT_S)
    return max(0, math.ceil(last + delay - time.time()))


def note_failure(username: str, address: str) -> None:
    pair = _pair(username, address)
    if not cache.add(pair, 1, timeout=settings.LOGIN_LOCKOUT_S):
        try:
            cache.incr(pair)
        except ValueError:  # expired between add and incr
            cache.add(pair, 1, timeout=settings.LOGIN_LOCKOUT_S)
    failures, _ = cache.get(_client(address)) or (0, 0.0)
    cache.set(_client(address), (failures + 1, time.time()), timeout=settings.LOGIN_LOCKOUT_S)


def clear(username: str, address: str) -> None:
    """A successful sign-in clears that name's count from that client (not the client's own count:
    one valid account must not reset an address's guessing budget)."""
    cache.delete(_pair(username, address))
