"""The role matrix: every protected page and endpoint, for each role, answers as contract §5 says,
and every refusal of a signed-in user is a 403 recorded as ``access.denied`` in the audit log."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from docintel.accounts.models import ApiToken
from docintel.documents.actions import upload_document
from tests.conftest import ROLES
from tests.factories import make_user, text_file

pytestmark = pytest.mark.django_db

CLERK, REVIEWER, COMPLIANCE, ADMIN, SERVICE, NONE = ROLES


def expect(allowed: dict[int, tuple[str, ...]]) -> dict[str, int]:
    """{status: roles} -> {role: status}; roles not named get 403."""
    table = dict.fromkeys(ROLES, 403)
    for status, roles in allowed.items():
        table.update(dict.fromkeys(roles, status))
    return table


# (name, method, url (with {doc}), expected status per role)
WEB = [
    ("home", "get", "/", expect({302: (CLERK, REVIEWER, COMPLIANCE, ADMIN)})),
    ("upload page", "get", "/upload/", expect({200: (CLERK, ADMIN)})),
    ("document list", "get", "/documents/", expect({200: (CLERK, REVIEWER, ADMIN)})),
    ("document page", "get", "/documents/{doc}/", expect({200: (CLERK, REVIEWER, ADMIN)})),
    ("download", "get", "/documents/{doc}/download/extraction.csv", expect({409: (CLERK, REVIEWER, ADMIN)})),
    ("retry", "post", "/documents/{doc}/retry/", expect({302: (CLERK, REVIEWER, ADMIN)})),
    ("correct a field", "post", "/documents/{doc}/correct/", expect({302: (REVIEWER, ADMIN)})),
    ("API tokens page", "get", "/account/tokens/", expect({200: ROLES[:-1]})),
]
API = [
    ("list", "get", "/api/v1/documents/", expect({200: (CLERK, REVIEWER, ADMIN, SERVICE)})),
    ("upload", "post", "/api/v1/documents/", expect({202: (CLERK, ADMIN, SERVICE)})),
    ("detail", "get", "/api/v1/documents/{doc}/", expect({200: (CLERK, REVIEWER, ADMIN, SERVICE)})),
    ("redacted", "get", "/api/v1/documents/{doc}/redacted/",
     expect({409: (CLERK, REVIEWER, ADMIN, SERVICE)})),
    ("extraction", "get", "/api/v1/documents/{doc}/extraction/",
     expect({409: (CLERK, REVIEWER, ADMIN, SERVICE)})),
    ("retry", "post", "/api/v1/documents/{doc}/retry/", expect({409: (CLERK, REVIEWER, ADMIN, SERVICE)})),
]


@pytest.fixture
def document(users):
    document, _ = upload_document([b"Lease between Acme and Beta."], filename="lease.txt", actor=users[CLERK])
    return document


def denials() -> int:
    return AuditEvent.objects.filter(action="access.denied").count()


def call(client, method: str, url: str, **extra):
    if method == "post":
        data = {"file": text_file()} if url == "/api/v1/documents/" else {}
        return client.post(url, data, **extra)
    return client.get(url, **extra)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "expected"), WEB, ids=[row[0] for row in WEB])
def test_web_role_matrix(client, users, document, role, name, method, url, expected):
    client.force_login(users[role])
    before = denials()
    response = call(client, method, url.format(doc=document.pk))
    assert response.status_code == expected[role], (name, role)
    assert denials() == before + (1 if expected[role] == 403 else 0)
    if expected[role] == 403:
        event = AuditEvent.objects.filter(action="access.denied").order_by("-seq").first()
        assert event.actor_id == users[role].pk


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "expected"), API, ids=[row[0] for row in API])
def test_api_role_matrix(users, document, role, name, method, url, expected):
    _, key = ApiToken.issue(users[role], "matrix")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    before = denials()
    response = call(api, method, url.format(doc=document.pk), format="multipart")
    assert response.status_code == expected[role], (name, role, response.content)
    assert denials() == before + (1 if expected[role] == 403 else 0)
    if expected[role] == 403:
        assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_web_goes_to_login_and_api_gets_401(client, document):
    for url in ("/", "/upload/", "/documents/", f"/documents/{document.pk}/", "/account/tokens/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert client.get("/api/v1/documents/").status_code == 401


def test_clerk_cannot_open_another_clerks_document(client, document):
    other = make_user(CLERK, "clerk-two")
    client.force_login(other)
    before = denials()
    assert client.get(f"/documents/{document.pk}/").status_code == 403
    assert client.get(f"/documents/{document.pk}/download/redacted.txt").status_code == 403
    _, key = ApiToken.issue(other, "t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/documents/{document.pk}/").status_code == 403
    assert api.get("/api/v1/documents/").json()["count"] == 0
    assert denials() == before + 3
    trail = AuditEvent.objects.filter(action="access.denied", document_id=document.pk)
    assert trail.count() == 3 and set(trail.values_list("actor_username", flat=True)) == {"clerk-two"}


def test_navigation_shows_what_the_role_may_use(client, users):
    client.force_login(users[COMPLIANCE])
    page = client.get("/account/tokens/").content.decode()
    assert 'href="/audit/"' in page and 'href="/upload/"' not in page and 'href="/documents/"' not in page
    client.force_login(users[CLERK])
    page = client.get("/documents/").content.decode()
    assert 'href="/upload/"' in page and 'href="/audit/"' not in page
