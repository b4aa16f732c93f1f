"""People of each role, API clients holding their tokens, and documents with outputs, for the
security regression tests. Everything goes through the HTTP surfaces, the contract's commands, Django's
own models and app labels, so the tests keep working when modules move."""

from __future__ import annotations

import io
import uuid
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient

PASSWORD = "a long enough test password 42"
CONTRACT_TEXT = "Lease agreement between Acme Ltd and Beta GmbH, signed by Jane Roe.\n"


def person(username: str, *roles: str, superuser: bool = False):
    """A user with a password and exactly ``roles`` (Django groups named after the roles)."""
    User = get_user_model()
    if superuser:
        user = User.objects.create_superuser(username, password=PASSWORD)
    else:
        user = User.objects.create_user(username, password=PASSWORD)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def issue_token(username: str, role: str, *extra: str) -> str:
    """``manage.py issue_token`` (contract §4): the printed key."""
    out = StringIO()
    call_command("issue_token", username, "--role", role, *extra, stdout=out)
    return out.getvalue().strip()


def api_with(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def api_as(user) -> APIClient:
    from docintel.accounts.models import ApiToken

    _, key = ApiToken.issue(user, "security tests")
    return api_with(key)


def upload_file(content: str = CONTRACT_TEXT, name: str = "lease.txt"):
    handle = io.BytesIO(content.encode())
    handle.name = name
    return handle


def upload(api: APIClient, content: str = CONTRACT_TEXT, name: str = "lease.txt"):
    response = api.post("/api/v1/documents/", {"file": upload_file(content, name)}, format="multipart")
    assert response.status_code == 202, response.content
    return response


def events(action: str | None = None):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    found = AuditEvent.objects.order_by("seq")
    return found.filter(action=action) if action else found


def last_seq() -> int:
    event = events().last()
    return event.seq if event else 0


@pytest.fixture(autouse=True)
def _own_throttle_counters(settings):
    """Each test counts sign-in failures from zero (its own cache key prefix; never clear a shared Redis)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"sec-{uuid.uuid4().hex}"}}


@pytest.fixture
def clerk(db):
    return person("clerk-ann", "clerk")


@pytest.fixture
def other_clerk(db):
    return person("clerk-bob", "clerk")


@pytest.fixture
def superuser(db):
    user = person("root", "admin", superuser=True)
    return user


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def document_with_outputs(clerk):
    """A clerk's uploaded document with a redaction and an extraction stored (as the pipeline would)."""
    Document = apps.get_model("documents", "Document")
    response = upload(api_as(clerk))
    document = Document.objects.get(pk=response.json()["id"])
    Document.objects.filter(pk=document.pk).update(text=CONTRACT_TEXT, pages=1, status="done")
    apps.get_model("redaction", "RedactionResult").objects.create(
        document=document, redacted_text=CONTRACT_TEXT.replace("Jane Roe", "<NAME>"),
        entities=[{"type": "NAME", "start": 55, "end": 63, "score": 0.9, "recognizer": "test"}])
    apps.get_model("extraction", "Extraction").objects.create(
        document=document, schema_name="contract", schema_version="1", data={"document_name": "Lease"},
        grounding={}, ungrounded=["/document_name"], confidence={}, valid=True, model="test", route={},
        text_sha256="0" * 64)
    document.refresh_from_db()
    return document
