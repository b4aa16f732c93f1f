"""Who may read the log, and that every read, denial, sign-in and role change is itself recorded."""

from __future__ import annotations

import base64
import io
import json
import uuid
import zipfile

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from audit.actions import record_event
from audit.models import AuditEvent
from docintel.accounts.roles import set_roles
from tests.audit.conftest import api_client, run_command
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


@pytest.mark.parametrize("role", ["clerk", "reviewer", "service"])
def test_other_roles_get_403_and_the_attempt_is_recorded(user_with_roles, role):
    user = user_with_roles(f"{role}-1", role)
    for path in ("/api/v1/audit/events/", "/api/v1/audit/export/?format=jsonl", "/api/v1/audit/status/"):
        response = api_client(user).get(path)
        assert response.status_code == 403, path
        assert set(response.json()["error"]) == {"code", "message"}
        denied = last("access.denied")
        assert denied.actor_username == f"{role}-1" and denied.details_dict["path"] == path.split("?")[0]


def test_a_clerk_is_refused_the_audit_page_and_that_is_recorded(client, user_with_roles):
    user_with_roles("carl", "clerk")
    client.login(username="carl", password=PASSWORD)
    assert client.get("/audit/").status_code == 403
    assert last("access.denied").actor_username == "carl"


def test_compliance_lists_and_filters_events_and_each_read_is_recorded(user_with_roles):
    officer = user_with_roles("olivia", "compliance")
    document = uuid.uuid4()
    clerk = user_with_roles("carl", "clerk")
    record_event("document.viewed", document=document, actor=clerk, purpose="review")
    record_event("stage.completed", document=document, details={"stage": "parse"})
    api = api_client(officer)
    body = api.get("/api/v1/audit/events/", {"document": str(document)}).json()
    assert [e["action"] for e in body["results"]] == ["stage.completed", "document.viewed"]
    assert body["results"][1]["actor_username"] == "carl"
    read = last("audit.read")
    assert read.actor_username == "olivia" and read.details_dict["filters"] == {"document": str(document)}
    body = api.get("/api/v1/audit/events/", {"action": "audit.", "actor": "olivia"}).json()
    assert body["count"] >= 1 and all(e["action"].startswith("audit.") and e["actor_username"] == "olivia"
                                      for e in body["results"])
    bad = api.get("/api/v1/audit/events/", {"since": "not a date"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_filter"


def test_time_filters_accept_any_iso_offset_and_refuse_moments_out_of_range(user_with_roles):
    api = api_client(user_with_roles("olivia", "compliance"))
    # PostgreSQL refuses offsets beyond ±15:59 in a query; the filter compares in UTC instead.
    assert api.get("/api/v1/audit/events/", {"until": "3937-07-27T06:51:21+16:54"}).status_code == 200
    out_of_range = api.get("/api/v1/audit/export/", {"until": "9999-12-31T23:00:00-05:00"})
    assert out_of_range.status_code == 400 and out_of_range.json()["error"]["code"] == "bad_filter"


def test_the_export_endpoint_streams_a_verifiable_export(user_with_roles, tmp_path):
    from audit.verify_export import verify

    officer = user_with_roles("olivia", "compliance")
    for number in range(3):
        record_event("document.viewed", document=uuid.uuid4(), details={"n": number})
    response = api_client(officer).get("/api/v1/audit/export/?format=jsonl")
    assert response.status_code == 200
    path = tmp_path / "api.jsonl"
    path.write_bytes(b"".join(response.streaming_content))
    manifest = json.loads(base64.b64decode(response["X-Audit-Manifest"]))
    path.with_name("api.jsonl.manifest.json").write_text(json.dumps(manifest))
    assert verify(path)["count"] == manifest["count"]
    assert last("audit.exported").actor_username == "olivia"
    assert api_client(officer).get("/api/v1/audit/export/?format=xml").status_code in (400, 404)


def test_the_web_page_shows_the_log_status_and_downloads_a_zip(client, user_with_roles, tmp_path):
    from audit.verify_export import verify

    user_with_roles("olivia", "compliance")
    record_event("document.viewed", document=uuid.uuid4())
    client.login(username="olivia", password=PASSWORD)
    assert b"Not checked yet" in client.get("/audit/").content
    assert run_command("audit_verify")[0] == 0
    page = client.get("/audit/", {"action": "document.viewed"})
    assert page.status_code == 200 and b"Verified" in page.content and b"document.viewed" in page.content
    exports_before = AuditEvent.objects.filter(action="audit.exported").count()
    assert client.get("/audit/export/", {"format": "csv"}).status_code == 405  # no state change on GET
    assert AuditEvent.objects.filter(action="audit.exported").count() == exports_before
    download = client.post("/audit/export/", {"format": "csv"})
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        archive.extractall(tmp_path)
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
    assert verify(tmp_path / name)["ok"]


def test_the_document_trail_shows_who_saw_it(client, user_with_roles):
    user_with_roles("olivia", "compliance")
    clerk = user_with_roles("carl", "clerk")
    document = uuid.uuid4()
    record_event("document.viewed", document=document, actor=clerk)
    client.login(username="olivia", password=PASSWORD)
    page = client.get(f"/audit/documents/{document}/")
    assert page.status_code == 200 and b"carl" in page.content and b"document.viewed" in page.content


def test_sign_ins_failed_sign_ins_and_role_changes_are_recorded(client, user_with_roles):
    user = user_with_roles("rita", "reviewer")
    assert last("auth.role_changed").details_dict == {"user_id": user.pk, "username": "rita",
                                                      "role": "reviewer", "change": "added"}
    client.post("/login/", {"username": "rita", "password": "wrong password"})
    failed = last("auth.login_failed")
    assert failed.details_dict["user_id"] == user.pk and "wrong" not in failed.details  # no typed name
    client.login(username="rita", password=PASSWORD)
    assert last("auth.login").actor_username == "rita"
    set_roles(user, {"compliance"})
    changes = {(e.details_dict["role"], e.details_dict["change"])
               for e in AuditEvent.objects.filter(action="auth.role_changed").order_by("-seq")[:2]}
    assert changes == {("reviewer", "removed"), ("compliance", "added")}
    user.is_superuser = True
    user.save()
    assert last("auth.role_changed").details_dict["role"] == "admin"


def test_the_public_key_is_public(client):
    assert b"BEGIN PUBLIC KEY" in client.get("/audit/public-key.pem").content
    assert APIClient().get("/api/v1/audit/public-key/").json()["algorithm"] == "ed25519"


def test_a_role_change_made_during_a_request_names_who_made_it(user_with_roles, django_user_model):
    from django.contrib.auth.models import Group

    from audit.middleware import AuditActorMiddleware

    admin = django_user_model.objects.create_superuser("root", password="an admin password 42")
    target = user_with_roles("rita", "reviewer")
    target.groups.add(Group.objects.get(name="clerk"))  # outside a request: no actor to name
    assert last("auth.role_changed").actor_username == ""

    def admin_view(request):  # what the admin's user change page does, as the request's user
        target.groups.add(Group.objects.get(name="compliance"))

    AuditActorMiddleware(admin_view)(type("Request", (), {"user": admin})())
    event = last("auth.role_changed")
    assert event.actor_username == "root" and event.details_dict["role"] == "compliance"
