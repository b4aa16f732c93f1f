"""Personal data the audit log needs to correlate but must not keep in clear: the address a request came
from, a user name typed at a failed sign-in that matches no account (it may be a mistyped password).

The log is immutable, so what goes into it stays for good; a keyed hash (HMAC-SHA256 under a key
derived from the secret key) lets an auditor see that two events came from the same client or named the
same unknown account, without the log revealing either. Someone holding the secret key can check a
given value (``pseudonym("client", "198.51.100.23")`` in ``manage.py shell``); nobody can read one back.
A new secret key starts new pseudonyms: events before and after it no longer match.
"""

from __future__ import annotations

from django.utils.crypto import salted_hmac

KINDS = ("client", "username")
LENGTH = 24  # hex characters: 96 bits, plenty to tell values apart, short enough to read


def pseudonym(kind: str, value: str) -> str:
    """The keyed hash of ``value`` as the log keeps it; "" for no value."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if not value:
        return ""
    normal = value.strip().lower() if kind == "username" else value.strip()
    return salted_hmac(f"docintel.audit.pseudonym.{kind}", normal, algorithm="sha256").hexdigest()[:LENGTH]


def client_pseudonym(request) -> str:
    """The pseudonym of the client a request came from (the real client behind a trusted proxy)."""
    return pseudonym("client", "" if request is None else request.META.get("REMOTE_ADDR", ""))


def who_tried(username: str) -> dict:
    """Who a sign-in attempt named, as the log keeps it: an existing account by its id, an unknown
    name only as its keyed hash (it may be a password typed into the wrong box)."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user_id = None
    if username:
        user_id = User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).values_list(
            "pk", flat=True).first()
    return {"user_id": user_id} if user_id is not None else {"username_hash": pseudonym("username", username)}
