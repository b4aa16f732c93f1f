"""The REST API of contract §5 through the real stack (token auth, DRF, actions, audit)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from docintel.accounts.models import ApiToken
from docintel.documents.actions import upload_document
from docintel.documents.models import Document
from tests.factories import make_user, text_file

pytestmark = pytest.mark.django_db
LIST = "/api/v1/documents/"


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def test_upload_returns_202_with_id_status_url(api_for):
    response = api_for("clerk").post(LIST, {"file": text_file(), "kind": "contract"}, format="multipart")
    assert response.status_code == 202, response.content
    body = response.json()
    assert {"id", "status", "url"} <= set(body)
    assert body["status"] == "queued" and body["url"] == f"{LIST}{body['id']}/"
    document = Document.objects.get(pk=body["id"])
    assert document.kind == "contract" and document.uploaded_by.username == "clerk-user"


def test_same_file_again_returns_existing_document(api_for):
    api = api_for("clerk")
    first = api.post(LIST, {"file": text_file()}, format="multipart").json()
    second = api.post(LIST, {"file": text_file(name="renamed.txt")}, format="multipart")
    assert second.status_code == 202
    assert second.json()["id"] == first["id"] and second.json()["created"] is False
    assert Document.objects.count() == 1


def test_deduplicated_upload_by_another_clerk_becomes_visible_to_them(api_for, users):
    api_for("clerk").post(LIST, {"file": text_file()}, format="multipart")
    other = make_user("clerk", "clerk-two")

    _, key = ApiToken.issue(other, "t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(LIST).json()["count"] == 0
    body = api.post(LIST, {"file": text_file()}, format="multipart").json()
    assert api.get(f"{LIST}{body['id']}/").status_code == 200


def test_idempotency_key_returns_first_upload(api_for):
    api = api_for("clerk")
    first = api.post(LIST, {"file": text_file("one")}, format="multipart", HTTP_IDEMPOTENCY_KEY="k-1").json()
    again = api.post(LIST, {"file": text_file("two")}, format="multipart", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 202 and again.json()["id"] == first["id"]
    assert Document.objects.count() == 1
    other = api.post(LIST, {"file": text_file("two")}, format="multipart", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.json()["id"] != first["id"]


def test_oversized_upload_is_413(api_for, settings):
    settings.MAX_UPLOAD_MB, settings.MAX_UPLOAD_BYTES = 1, 1024 * 1024
    big = text_file("x" * (1024 * 1024 + 10))
    assert_error(api_for("clerk").post(LIST, {"file": big}, format="multipart"), 413, "file_too_large")
    assert Document.objects.count() == 0


def test_errors_are_json_with_code_and_message(api_for, client):
    api = api_for("clerk")
    assert_error(api.post(LIST, {}, format="multipart"), 400, "invalid")
    assert_error(api.post(LIST, {"file": text_file(""), "kind": "x"}, format="multipart"), 400)
    assert_error(api.post(LIST, {"file": text_file("")}, format="multipart"), 400, "empty_file")
    assert_error(api.get(f"{LIST}00000000-0000-0000-0000-000000000000/"), 404, "not_found")
    assert_error(api.get(LIST, {"status": "nonsense"}), 400, "bad_filter")
    assert_error(client.get(LIST), 401, "not_authenticated")
    assert_error(client.get(LIST, HTTP_AUTHORIZATION="Token nope"), 401, "authentication_failed")
    assert_error(api_for("compliance").get(LIST), 403, "permission_denied")


def test_outputs_not_ready_yet_is_409(api_for):
    api = api_for("clerk")
    body = api.post(LIST, {"file": text_file()}, format="multipart").json()
    assert_error(api.get(f"{LIST}{body['id']}/redacted/"), 409, "not_ready")
    assert_error(api.get(f"{LIST}{body['id']}/extraction/"), 409, "not_ready")
    assert_error(api.post(f"{LIST}{body['id']}/retry/"), 409, "not_failed")


def test_revoked_token_is_refused(users):

    token, key = ApiToken.issue(users["clerk"], "t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(LIST).status_code == 200
    token.revoke()
    assert_error(api.get(LIST), 401)


def _documents(count: int, user, prefix: str = "doc", kind: str = "auto"):
    for i in range(count):
        upload_document([f"{prefix} number {i}".encode()], filename=f"{prefix}-{i}.txt", kind=kind,
                        actor=user)


def test_pagination_and_filters(api_for, users):
    _documents(7, users["clerk"], "lease", kind="contract")
    _documents(3, users["clerk"], "note", kind="clinical_note")
    _documents(2, users["admin"], "other")  # not the clerk's
    api = api_for("clerk")
    page = api.get(LIST, {"page_size": 4}).json()
    assert page["count"] == 10 and len(page["results"]) == 4 and page["next"]
    contract = {"id", "filename", "kind", "sha256", "status", "stages", "pages", "created"}
    assert set(page["results"][0]) >= contract
    assert api.get(LIST, {"page_size": 4, "page": 3}).json()["results"].__len__() == 2
    assert api.get(LIST, {"kind": "clinical_note"}).json()["count"] == 3
    assert api.get(LIST, {"q": "lease-1"}).json()["count"] == 1
    assert api.get(LIST, {"status": "queued"}).json()["count"] == 10
    assert api.get(LIST, {"status": "done"}).json()["count"] == 0
    assert api.get(LIST, {"created_from": "2000-01-01", "created_to": "2000-12-31"}).json()["count"] == 0
    assert api_for("admin").get(LIST).json()["count"] == 12
    assert_error(api.get(LIST, {"page": 99}), 404)


def test_list_query_count_is_constant_in_page_size(api_for, users):
    _documents(30, users["clerk"])
    api = api_for("clerk")
    api.get(LIST)  # the first call of a token looks it up and stamps its last use
    counts = []
    for size in (1, 10, 30):
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get(LIST, {"page_size": size}).json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_rate_limit_per_token(api_for, settings):
    from docintel.api.throttling import TokenRateThrottle

    rates = {**TokenRateThrottle.THROTTLE_RATES, "token": "3/min"}
    TokenRateThrottle.THROTTLE_RATES, saved = rates, TokenRateThrottle.THROTTLE_RATES
    try:
        api = api_for("clerk")
        statuses = [api.get(LIST).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert_error(api.get(LIST), 429, "throttled")
        assert api_for("reviewer").get(LIST).status_code == 200  # another token has its own budget
    finally:
        TokenRateThrottle.THROTTLE_RATES = saved


def test_openapi_schema_loads_and_describes_contract(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/v1/documents/", "/api/v1/documents/{id}/", "/api/v1/documents/{id}/redacted/",
                 "/api/v1/documents/{id}/extraction/", "/api/v1/documents/{id}/retry/"):
        assert path in paths, sorted(paths)
    assert "202" in paths["/api/v1/documents/"]["post"]["responses"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()


@pytest.mark.llm
def test_outputs_of_a_processed_document(transactional_db, request, api_for):
    """Through the real pipeline (real worker, embedded model): the redacted text and the extraction in
    the contract's formats, each read audited."""
    import os

    from audit.models import AuditEvent
    from docintel import task_runner
    from tests.conftest import FIXTURES, wait_for_status

    if os.environ.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    api = api_for("clerk")
    with open(FIXTURES / "samples" / "synthetic-discharge-note.txt", "rb") as handle:
        body = api.post(LIST, {"file": handle}, format="multipart").json()
    document = wait_for_status(Document.objects.get(pk=body["id"]), timeout=900)
    task_runner.wait_idle(60)
    assert document.status == "done", document.stages

    redacted = api.get(f"{LIST}{document.pk}/redacted/").json()
    assert set(redacted) >= {"id", "redacted_text", "entities"}
    assert "HARGROVE" not in redacted["redacted_text"]
    assert {"type", "start", "end", "score", "recognizer"} <= set(redacted["entities"][0])
    extraction = api.get(f"{LIST}{document.pk}/extraction/").json()
    assert {"id", "schema", "schema_version", "data", "grounding", "valid", "model", "escalated",
            "text_sha256"} <= set(extraction)
    assert extraction["id"] == str(document.pk)
    reads = AuditEvent.objects.filter(action="document.viewed", document_id=document.pk)
    assert reads.count() == 2
