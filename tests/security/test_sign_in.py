"""Findings 5, 6 and 12: one sign-in path, throttled per (user, real client) behind a trusted proxy list,
with the failing address slowed down before any account is locked; service accounts never sign in."""

from __future__ import annotations

import pytest

from .conftest import PASSWORD, events, person

pytestmark = pytest.mark.django_db

THROTTLED = b"Too many failed sign-in attempts"
ATTACKER, VICTIM, PROXY = "203.0.113.66", "198.51.100.5", "127.0.0.1"


def sign_in(client, username: str, password: str, **meta):
    return client.post("/login/", {"username": username, "password": password}, **meta)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_admin_login_is_not_a_second_unthrottled_door(client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    person("root", "admin", superuser=True)
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD,
                                                          "next": "/admin/"})
    assert not signed_in(client)
    assert response.status_code == 302 and response.url.startswith("/login/")
    followed = client.get("/admin/", follow=True)  # the admin sends people to the one sign-in page
    assert followed.redirect_chain[-1][0].startswith("/login/")
    for _ in range(3):
        sign_in(client, "root", "wrong")
    assert THROTTLED in sign_in(client, "root", PASSWORD).content and not signed_in(client)


def test_signed_in_non_admins_are_refused_by_the_admin_with_an_event(client):
    client.force_login(person("ann", "clerk"))
    assert client.get("/admin/login/").status_code == 403
    assert events("access.denied").filter(actor_username="ann").exists()


def test_behind_the_trusted_proxy_each_client_is_counted_on_its_own(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LOGIN_MAX_FAILURES = 3
    person("alice", "clerk")
    for _ in range(3):
        sign_in(client, "alice", "wrong", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert THROTTLED in sign_in(client, "alice", PASSWORD, REMOTE_ADDR=PROXY,
                                HTTP_X_FORWARDED_FOR=ATTACKER).content
    response = sign_in(client, "alice", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=VICTIM)
    assert response.status_code == 302 and signed_in(client)


def test_clients_cannot_choose_the_address_they_are_counted_as(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.TRUST_X_REAL_IP = True  # the setting that used to hand the choice to the client
    settings.LOGIN_MAX_FAILURES = 3
    person("alice", "clerk")
    for _ in range(3):  # the proxy appends the real peer to whatever the client sent
        sign_in(client, "alice", "wrong", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{VICTIM}, {ATTACKER}",
                HTTP_X_REAL_IP=VICTIM)
    response = sign_in(client, "alice", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=VICTIM,
                       HTTP_X_REAL_IP=VICTIM)
    assert response.status_code == 302 and signed_in(client)


def test_forwarding_headers_from_an_untrusted_peer_are_ignored(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LOGIN_MAX_FAILURES = 3
    person("alice", "clerk")
    for _ in range(3):
        sign_in(client, "alice", "wrong", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=VICTIM,
                HTTP_X_REAL_IP=VICTIM)
    response = sign_in(client, "alice", PASSWORD, REMOTE_ADDR=VICTIM)
    assert response.status_code == 302 and signed_in(client)


def test_an_address_failing_for_many_names_is_slowed_down_before_any_account_is_locked(client, settings):
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_ADDRESS_FAILURES = 4
    person("alice", "clerk")
    for name in ("alice", "bob", "carol", "dave"):  # one try each: no account reaches its limit
        sign_in(client, name, "wrong", REMOTE_ADDR=ATTACKER)
    refused = sign_in(client, "alice", PASSWORD, REMOTE_ADDR=ATTACKER)
    assert THROTTLED in refused.content and not signed_in(client)
    assert events("auth.login_throttled").exists()
    # Alice herself, elsewhere, is not locked out by someone else's guessing.
    response = sign_in(client, "alice", PASSWORD, REMOTE_ADDR=VICTIM)
    assert response.status_code == 302 and signed_in(client)


def test_service_accounts_cannot_sign_in_on_the_web(client):
    person("billing", "service")
    response = sign_in(client, "billing", PASSWORD)
    assert response.status_code == 200 and not signed_in(client)


def test_a_service_accounts_session_is_not_honoured(client):
    """Even a session made another way (an old one, force_login) gives a service account nothing."""
    client.force_login(person("billing", "service"))
    assert client.get("/api/v1/documents/").status_code in (401, 403)
    assert client.get("/account/tokens/").status_code == 302
