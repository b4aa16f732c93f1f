"""Sign-in, throttling, password policy, tokens and the two account commands."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from docintel.accounts.models import ApiToken
from docintel.accounts.roles import roles_of
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_issue_token_prints_only_a_working_token_and_creates_the_user():
    output = run("issue_token", "billing", "--role", "service")
    assert re.fullmatch(r"[0-9a-f]{40}\n", output), output
    user = get_user_model().objects.get(username="billing")
    assert roles_of(user) == {"service"} and not user.has_usable_password()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {output.strip()}")
    assert api.get("/api/v1/documents/").status_code == 200
    # Again: the same user, a second token, a role change.
    second = run("issue_token", "billing", "--role", "clerk").strip()
    assert second != output.strip() and ApiToken.objects.filter(user=user).count() == 2
    user = get_user_model().objects.get(username="billing")
    assert roles_of(user) == {"clerk"}


def test_tokens_are_stored_hashed():
    key = run("issue_token", "svc", "--role", "service").strip()
    token = ApiToken.objects.get()
    assert key not in (token.key_hash, token.prefix) and token.prefix == key[:8]


def test_quickstart_users_is_idempotent_and_the_password_works(client):
    output = run("quickstart_users")
    password = re.search(r"Password:\s+(\S+)", output).group(1)
    assert client.login(username="admin", password=password)
    assert roles_of(get_user_model().objects.get(username="admin")) == {"admin"}
    again = run("quickstart_users")
    assert "Password" not in again and "already" in again
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_login_and_logout(client):
    make_user("clerk", "maria")
    response = client.post("/login/", {"username": "maria", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/documents/").status_code == 200
    client.post("/logout/")
    assert client.get("/documents/").status_code == 302


def test_failed_logins_are_throttled_per_username_and_address(client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("clerk", "maria")
    for _ in range(3):
        response = client.post("/login/", {"username": "maria", "password": "wrong"})
        assert response.status_code == 200 and b"correct username and password" in response.content
    # Locked now, even with the right password, from this address...
    response = client.post("/login/", {"username": "maria", "password": PASSWORD})
    assert response.status_code == 200 and b"Too many failed sign-in attempts" in response.content
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="auth.login_throttled").count() == 1
    # ...but not from another one, and not for another user.
    other = client.post("/login/", {"username": "maria", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_password_policy_rejects_weak_passwords(client):
    make_user("clerk", "maria")
    client.login(username="maria", password=PASSWORD)
    response = client.post("/account/password/", {
        "old_password": PASSWORD, "new_password1": "password1", "new_password2": "password1"})
    assert response.status_code == 200 and b"too short" in response.content


def test_token_page_shows_a_new_token_once_and_revokes(client):
    user = make_user("clerk", "maria")
    client.force_login(user)
    page = client.post("/account/tokens/", {"name": "nightly import"}).content.decode()
    key = re.search(r'id="new-key" class="mono" readonly value="([0-9a-f]{40})"', page).group(1)
    assert key not in client.get("/account/tokens/").content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/documents/").status_code == 200
    token = ApiToken.objects.get(user=user)
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/documents/").status_code == 401


def test_session_cookie_is_http_only_and_expires(client, settings):
    make_user("clerk", "maria")
    response = client.post("/login/", {"username": "maria", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
