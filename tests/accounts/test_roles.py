"""The role matrix: every page and endpoint, for each role, answers as contract §5 says, and every
refusal of a signed-in user is a 403 recorded as ``access.denied`` in the audit log.

Standing check: every URL pattern and every operation of the OpenAPI schema has a row here (or is
public and listed as such); a new view without one fails the suite. The admin site's own pages are
gated as one (``admin.site.has_permission``: the admin role) and have their rows too.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from docintel.accounts.models import ApiToken
from docintel.documents.actions import upload_document
from tests.conftest import ROLES
from tests.factories import make_user, text_file

pytestmark = pytest.mark.django_db

CLERK, REVIEWER, COMPLIANCE, ADMIN, SERVICE, NONE = ROLES
LOGIN = "login"  # a redirect to the sign-in page: not signed in (service accounts never are, on the web)
ALL_ROLES = (*ROLES, "anonymous")


def expect(allowed: dict, *, web: bool = True) -> dict[str, int | str]:
    """{status: roles} -> {role: status}. Roles not named get 403; on the web, service accounts and
    anonymous visitors are sent to sign in, on the API anonymous callers get 401."""
    table: dict[str, int | str] = dict.fromkeys(ROLES, 403)
    table.update({SERVICE: LOGIN} if web else {})
    table["anonymous"] = LOGIN if web else 401
    for status, roles in allowed.items():
        table.update(dict.fromkeys(roles, status))
    return table


STAFF = (CLERK, REVIEWER, COMPLIANCE, ADMIN)
PEOPLE = (*STAFF, NONE)
READERS = (CLERK, REVIEWER, ADMIN)
AUDITORS = (COMPLIANCE, ADMIN)
EVERYONE = ALL_ROLES

# (name, method, url (with {doc}), expected status per role)
WEB = [
    ("home", "get", "/", expect({302: (CLERK, REVIEWER, COMPLIANCE, ADMIN)})),
    ("upload page", "get", "/upload/", expect({200: (CLERK, ADMIN)})),
    ("document list", "get", "/documents/", expect({200: READERS})),
    ("document page", "get", "/documents/{doc}/", expect({200: READERS})),
    ("download", "get", "/documents/{doc}/download/extraction.csv", expect({409: READERS})),
    ("page as released", "get", "/documents/{doc}/pages/1.jpg", expect({404: READERS})),  # a text file
    ("retry", "post", "/documents/{doc}/retry/", expect({302: READERS})),
    ("correct a field", "post", "/documents/{doc}/correct/", expect({302: (REVIEWER, ADMIN)})),
    ("API tokens page", "get", "/account/tokens/", expect({200: STAFF})),
    ("revoke a token", "post", "/account/tokens/{token}/revoke/", expect({404: STAFF})),
    ("password change", "get", "/account/password/", expect({200: PEOPLE})),
    ("audit log", "get", "/audit/", expect({200: AUDITORS})),
    ("document trail", "get", "/audit/documents/{doc}/", expect({200: AUDITORS})),
    ("audit export", "post", "/audit/export/", expect({200: AUDITORS})),
    ("event proof", "get", "/audit/events/{seq}/proof/", expect({404: AUDITORS})),  # not in the tree
    ("tree heads", "get", "/audit/tree-heads/", expect({200: AUDITORS})),
    # The admin site needs staff status and the admin role (test_the_admin_site_is_for_staff_admins);
    # the role alone, as here, is sent to the admin's sign-in page, which refuses signed-in people.
    ("admin site", "get", "/admin/", dict.fromkeys(EVERYONE, 302)),
    ("admin sign-in", "get", "/admin/login/", expect({})),
]
# Open to anyone, signed in or not: signing in and out, and what describes the API or checks exports.
PUBLIC = [
    ("sign-in page", "get", "/login/", {**dict.fromkeys(PEOPLE, 302), SERVICE: 200, "anonymous": 200}),
    ("sign out", "post", "/logout/", dict.fromkeys(EVERYONE, 302)),
    ("audit public key (web)", "get", "/audit/public-key.pem", dict.fromkeys(EVERYONE, 200)),
    ("audit public key", "get", "/api/v1/audit/public-key/", dict.fromkeys(EVERYONE, 200)),
    ("audit public keys", "get", "/api/v1/audit/public-keys/", dict.fromkeys(EVERYONE, 200)),
    ("OpenAPI schema", "get", "/api/v1/schema/", dict.fromkeys(EVERYONE, 200)),
    ("Swagger UI", "get", "/api/v1/docs/", dict.fromkeys(EVERYONE, 200)),
    ("Redoc", "get", "/api/v1/redoc/", dict.fromkeys(EVERYONE, 200)),
]
API = [
    ("list", "get", "/api/v1/documents/", expect({200: (*READERS, SERVICE)}, web=False)),
    ("upload", "post", "/api/v1/documents/", expect({202: (CLERK, ADMIN, SERVICE)}, web=False)),
    ("detail", "get", "/api/v1/documents/{doc}/", expect({200: (*READERS, SERVICE)}, web=False)),
    ("redacted", "get", "/api/v1/documents/{doc}/redacted/", expect({409: (*READERS, SERVICE)}, web=False)),
    ("redacted PDF", "get", "/api/v1/documents/{doc}/redacted.pdf",
     expect({409: (*READERS, SERVICE)}, web=False)),
    ("extraction", "get", "/api/v1/documents/{doc}/extraction/",
     expect({409: (*READERS, SERVICE)}, web=False)),
    ("retry", "post", "/api/v1/documents/{doc}/retry/", expect({409: (*READERS, SERVICE)}, web=False)),
    ("correct a field", "post", "/api/v1/documents/{doc}/corrections/",
     expect({400: (REVIEWER, ADMIN)}, web=False)),
    ("erase", "post", "/api/v1/documents/{doc}/erasure/", expect({400: AUDITORS}, web=False)),
    ("original", "get", "/api/v1/documents/{doc}/original/", expect({200: (*READERS, SERVICE)}, web=False)),
    ("webhooks", "get", "/api/v1/documents/{doc}/webhooks/", expect({200: (*READERS, SERVICE)}, web=False)),
    ("schemas", "get", "/api/v1/schemas/", expect({200: (*STAFF, SERVICE)}, web=False)),
    ("schema", "get", "/api/v1/schemas/{schema}/", expect({200: (*STAFF, SERVICE)}, web=False)),
    ("schema version", "get", "/api/v1/schemas/{schema}/versions/{version}/",
     expect({200: (*STAFF, SERVICE)}, web=False)),
    ("new schema version", "post", "/api/v1/schemas/{schema}/versions/", expect({400: (ADMIN,)}, web=False)),
    ("own tokens", "get", "/api/v1/tokens/", expect({200: (*STAFF, SERVICE)}, web=False)),
    ("revoke own token", "post", "/api/v1/tokens/{token}/revoke/",
     expect({404: (*STAFF, SERVICE)}, web=False)),
    ("audit events", "get", "/api/v1/audit/events/", expect({200: AUDITORS}, web=False)),
    ("audit export", "get", "/api/v1/audit/export/?format=jsonl", expect({200: AUDITORS}, web=False)),
    ("audit status", "get", "/api/v1/audit/status/", expect({200: AUDITORS}, web=False)),
    ("audit proof", "get", "/api/v1/audit/events/{seq}/proof/", expect({404: AUDITORS}, web=False)),
    ("audit consistency", "get", "/api/v1/audit/consistency/?old=0&new=0",
     expect({200: AUDITORS}, web=False)),
    ("audit tree heads", "get", "/api/v1/audit/tree-heads/", expect({200: AUDITORS}, web=False)),
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


def filled(url: str, document) -> str:
    return url.format(doc=document.pk, token=999999, schema="contract", version="1", seq=999999)


def check(response, expected, role: str, name: str, user=None) -> None:
    if expected == LOGIN:
        assert response.status_code == 302 and response.url.startswith(reverse("login")), (name, role)
    else:
        assert response.status_code == expected, (name, role, response.status_code)
    if expected == 403 and user is not None:
        event = AuditEvent.objects.filter(action="access.denied").order_by("-seq").first()
        assert event.actor_id == user.pk


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(("name", "method", "url", "expected"), WEB + PUBLIC[:3],
                         ids=[row[0] for row in WEB + PUBLIC[:3]])
def test_web_role_matrix(client, users, document, role, name, method, url, expected):
    user = users.get(role)
    if user is not None:
        client.force_login(user)
    before = denials()
    response = call(client, method, filled(url, document))
    check(response, expected[role], role, name, user)
    assert denials() == before + (1 if expected[role] == 403 else 0)


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(("name", "method", "url", "expected"), API + PUBLIC[3:],
                         ids=[row[0] for row in API + PUBLIC[3:]])
def test_api_role_matrix(users, document, role, name, method, url, expected):
    api = APIClient()
    if role in users:
        # Service tokens are issued for every document here; their narrower scope: test_service_tokens.
        _, key = ApiToken.issue(users[role], "matrix", "all")
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    before = denials()
    response = call(api, method, filled(url, document),
                    format="multipart" if url == "/api/v1/documents/" else "json")
    assert response.status_code == expected[role], (name, role, response.content[:300])
    assert denials() == before + (1 if expected[role] == 403 else 0)
    if expected[role] == 403:
        assert response.json()["error"]["code"] == "permission_denied"


def test_the_admin_site_is_for_staff_admins(client, document):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="a long enough password 42")
    client.force_login(root)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/login/").status_code == 302
    staff_clerk = make_user(CLERK, "staff-clerk")
    staff_clerk.is_staff = True
    staff_clerk.save()
    client.force_login(staff_clerk)
    before = denials()
    assert client.get("/admin/", follow=True).status_code == 403
    assert denials() == before + 1


# --- The standing check: nothing is served without a row above ---------------------------------------
def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _route_of(url: str) -> str:
    return resolve(url.split("?")[0].format(doc=uuid.uuid4(), token=1, schema="contract", version="1",
                                            seq=1)).route


def test_every_url_pattern_has_a_row_in_the_matrix():
    covered = {_route_of(url) for _, _, url, _ in WEB + PUBLIC + API}
    missing = []
    for route in _routes(get_resolver().url_patterns):
        if route.startswith("admin/") and route not in ("admin/", "admin/login/"):
            continue  # the admin's own pages: gated as one by the admin site ("admin site", "admin sign-in")
        if route.startswith("api/v1/") and "^" in route:
            continue  # the routers' routes: checked operation by operation below
        if route not in covered:
            missing.append(route)
    assert not missing, f"URL patterns without a row in the role matrix: {missing}"


def test_every_api_operation_has_a_row_in_the_matrix():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    rows = {(method, re.sub(r"\{[^}]+\}", "{}", url.split("?")[0])) for _, method, url, _ in API + PUBLIC}
    missing = [f"{method.upper()} {path}" for path, operations in schema["paths"].items()
               for method in operations if (method, re.sub(r"\{[^}]+\}", "{}", path)) not in rows]
    assert not missing, f"API operations without a row in the role matrix: {missing}"


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
