"""Security settings: the secret key's strength, the trusted reverse proxies, sign-in throttling, HTTP
headers (docs/SECURITY.md says why each is what it is)."""

from __future__ import annotations

from csp.constants import NONE, SELF

from .env import env_bool, env_int, env_list

# --- The secret key ----------------------------------------------------------------------------------
# Values that were ever published with docintel or Django: a deployment running on one of them signs
# sessions and CSRF tokens with a key everybody has.
KNOWN_SECRET_KEYS = frozenset({
    "change-me-to-a-long-random-string",  # deploy/docintel.env.example
    "build",  # the Dockerfile's collectstatic step, before it stopped naming one
    "changeme", "change-me", "secret", "django-insecure",
})


def secret_key_problem(key: str) -> str:
    """What is wrong with a configured secret key ("" when nothing): public, or guessable (Django's own
    deploy check W009, made fatal: short, few distinct characters, Django's placeholder)."""
    advice = "set a random one: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    if key in KNOWN_SECRET_KEYS or key.startswith("django-insecure-"):
        return f"DOCINTEL_SECRET_KEY is a published example value; {advice}"
    if len(key) < 50 or len(set(key)) < 5:
        return f"DOCINTEL_SECRET_KEY is too weak (at least 50 random characters); {advice}"
    return ""


def refuse_weak_secret_key(key: str) -> None:
    """Stop here, before any server, worker or command starts: every entry point reads settings first.
    A one-line message, no traceback (SystemExit prints it and exits 1)."""
    problem = secret_key_problem(key)
    if problem:
        raise SystemExit(f"docintel refuses to start: {problem}")


# --- Who the client is -------------------------------------------------------------------------------
# Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks). The
# bundled nginx on the same host is 127.0.0.1 (deploy/docintel.env.example); empty: no proxy, the peer
# is the client. Never list a network that clients can send from.
TRUSTED_PROXIES = env_list("DOCINTEL_TRUSTED_PROXIES", [])

# --- Sign-in throttling ------------------------------------------------------------------------------
# One user name from one client: locked after this many failures within LOGIN_LOCKOUT_S, even with the
# right password. Only that client: nobody elsewhere can lock an account out.
LOGIN_MAX_FAILURES = env_int("DOCINTEL_LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_S = env_int("DOCINTEL_LOGIN_LOCKOUT_S", 15 * 60, minimum=1)
# One client, any user names: after this many failures it waits before each further try, 5 s doubling
# up to LOGIN_LOCKOUT_S (guessing across many accounts from one place is slowed, no account is locked).
LOGIN_ADDRESS_FAILURES = env_int("DOCINTEL_LOGIN_ADDRESS_FAILURES", 10, minimum=1)

AUTHENTICATION_BACKENDS = ["docintel.accounts.backends.PeopleOnlyBackend"]

# --- HTTP headers ------------------------------------------------------------------------------------
# HSTS is sent only on requests that came over TLS (directly, or from a trusted proxy saying so).
SECURE_HSTS_SECONDS = env_int("DOCINTEL_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DOCINTEL_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere: scripts are files under /static/. The API's Redoc page alone loosens
# style-src and worker-src (docintel.api.urls), because Redoc injects styles and runs a blob worker.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
