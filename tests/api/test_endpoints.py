"""What the UI can do, the API can do too (issue 19): corrections, schemas, the original file, GDPR
erasure and one's own tokens, each with its roles (and every refusal audited), and conditional reads."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from docintel.accounts.models import ApiToken
from docintel.documents.models import Document
from extraction.models import Correction, SchemaVersion
from tests.factories import DocumentFactory, ExtractionFactory, make_user

pytestmark = pytest.mark.django_db
DOCS = "/api/v1/documents/"
SCHEMA = {"type": "object", "properties": {"policy_number": {"type": ["string", "null"]}}}


def status_of(api, method: str, url: str, **kwargs) -> int:
    return getattr(api, method)(url, **kwargs).status_code


def denied(role: str, path: str) -> bool:
    return AuditEvent.objects.filter(action="access.denied", actor_username=f"{role}-user",
                                     details__contains=path).exists()


ORIGINAL = b"This Agreement is governed by the laws of the State of New York."


@pytest.fixture
def extracted(users):
    """A clerk's processed contract with its original stored and an extraction (no model run)."""
    from docintel.documents import storage
    from extraction.schemas import get_schema

    sha, size, _ = storage.store_chunks([ORIGINAL])
    extraction = ExtractionFactory(
        document__uploaded_by=users["clerk"], document__sha256=sha, document__size=size,
        document__status="done", data={**get_schema("contract").empty(), "governing_law": "New York"})
    return extraction.document


# --- Corrections -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "expected"), [("reviewer", 201), ("admin", 201), ("clerk", 403),
                                                ("compliance", 403), ("service", 403), ("none", 403)])
def test_corrections_by_role(api_for, extracted, role, expected):
    url = f"{DOCS}{extracted.pk}/corrections/"
    response = api_for(role).post(url, {"pointer": "/governing_law", "value": "Delaware"}, format="json")
    assert response.status_code == expected, response.content
    if expected == 201:
        body = response.json()
        assert body["status"] == "corrected" and body["value"] == "Delaware"
        event = AuditEvent.objects.get(action="extraction.corrected")
        assert event.actor_username == f"{role}-user" and event.document_id == extracted.pk
    else:
        assert not Correction.objects.exists()
        assert denied(role, url)


def test_corrections_validate_as_the_review_page_does(api_for, extracted):
    api = api_for("reviewer")
    url = f"{DOCS}{extracted.pk}/corrections/"
    unknown = api.post(url, {"pointer": "/no_such_field", "value": "x"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_field"
    invalid = api.post(url, {"pointer": "/parties", "value": "not a list"}, format="json")
    assert invalid.status_code == 400 and invalid.json()["error"]["code"] == "invalid_correction"
    no_value = api.post(url, {"pointer": "/governing_law"}, format="json")
    assert no_value.status_code == 400
    form = api.post(url, {"pointer": "/governing_law", "value": "x"}, format="multipart")
    assert form.status_code == 415  # JSON bodies only
    confirmed = api.post(url, {"pointer": "/governing_law", "decision": "confirm"}, format="json")
    assert confirmed.status_code == 201 and confirmed.json()["value"] == "New York"
    record = api.get(f"{DOCS}{extracted.pk}/extraction/").json()
    assert record["data"]["governing_law"] == "New York"  # the model's output stays as it was
    assert [c["status"] for c in record["corrections"]] == ["confirmed"]
    assert record["review"]["state"] in ("in_review", "reviewed")


def test_corrections_before_extraction_are_409(api_for, users):
    document = DocumentFactory(uploaded_by=users["clerk"])
    response = api_for("reviewer").post(f"{DOCS}{document.pk}/corrections/",
                                        {"pointer": "/governing_law", "value": "x"}, format="json")
    assert response.status_code == 409


# --- Schemas -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["clerk", "reviewer", "compliance", "admin", "service"])
def test_every_role_reads_schemas(api_for, role):
    api = api_for(role)
    listed = api.get("/api/v1/schemas/").json()
    assert {"contract", "clinical_note"} <= {s["name"] for s in listed}
    contract = api.get("/api/v1/schemas/contract/").json()
    assert contract["builtin"] is True and "governing_law" in contract["schema"]["properties"]
    version = api.get(f"/api/v1/schemas/contract/versions/{contract['version']}/")
    assert version.status_code == 200 and version.json()["sha256"] == contract["sha256"]


def test_no_role_no_schemas(api_for):
    assert status_of(api_for("none"), "get", "/api/v1/schemas/") == 403


@pytest.mark.parametrize(("role", "expected"), [("admin", 201), ("clerk", 403), ("reviewer", 403),
                                                ("compliance", 403), ("service", 403)])
def test_only_admins_create_schema_versions(api_for, role, expected):
    response = api_for(role).post("/api/v1/schemas/insurance_claim/versions/", {"schema": SCHEMA},
                                  format="json")
    assert response.status_code == expected, response.content
    assert SchemaVersion.objects.filter(name="insurance_claim").exists() is (expected == 201)


def test_schema_versions_are_new_versions(api_for):
    api = api_for("admin")
    first = api.post("/api/v1/schemas/claim/versions/", {"schema": SCHEMA}, format="json").json()
    same = api.post("/api/v1/schemas/claim/versions/", {"schema": SCHEMA}, format="json")
    assert same.status_code == 200 and same.json()["version"] == first["version"] == "1"
    changed = {**SCHEMA, "properties": {**SCHEMA["properties"], "amount": {"type": ["number", "null"]}}}
    second = api.post("/api/v1/schemas/claim/versions/", {"schema": changed}, format="json").json()
    assert second["version"] == "2"
    assert api.get("/api/v1/schemas/claim/").json()["version"] == "2"
    assert api.get("/api/v1/schemas/claim/versions/1/").json()["schema"] == SCHEMA
    assert api.get("/api/v1/schemas/claim/versions/9/").status_code == 404
    assert api.get("/api/v1/schemas/nothing/").status_code == 404
    builtin = api.post("/api/v1/schemas/contract/versions/", {"schema": SCHEMA}, format="json")
    assert builtin.status_code == 400
    broken = api.post("/api/v1/schemas/x/versions/", {"schema": {"type": "object"}}, format="json")
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_schema"
    assert AuditEvent.objects.filter(action="extraction.schema_registered").count() == 2


# --- The original file ------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "expected"), [("clerk", 200), ("reviewer", 200), ("admin", 200),
                                                ("service", 200), ("compliance", 403), ("none", 403)])
def test_original_file_by_role(api_for, extracted, role, expected):
    response = api_for(role).get(f"{DOCS}{extracted.pk}/original/")
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == ORIGINAL
        assert "attachment" in response["Content-Disposition"]
        assert "no-store" in response["Cache-Control"]
        event = AuditEvent.objects.get(action="document.downloaded", actor_username=f"{role}-user")
        assert event.details_dict["what"] == "original"


def test_another_clerks_original_is_refused_and_audited(api_for, extracted):
    other = make_user("clerk", "clerk-two")
    _, key = ApiToken.issue(other, "t")
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"{DOCS}{extracted.pk}/original/").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", document_id=extracted.pk).exists()


# --- Erasure -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "expected"), [("compliance", 200), ("admin", 200), ("clerk", 403),
                                                ("reviewer", 403), ("service", 403), ("none", 403)])
def test_erasure_by_role(api_for, extracted, role, expected):
    response = api_for(role).post(f"{DOCS}{extracted.pk}/erasure/", {"reason": "GDPR request 2026-1"},
                                  format="json")
    assert response.status_code == expected, response.content
    extracted.refresh_from_db()
    assert extracted.is_erased is (expected == 200)
    if expected == 200:
        assert response.json()["id"] == str(extracted.pk) and response.json()["erased_at"]
        event = AuditEvent.objects.get(action="document.erased")
        assert event.actor_username == f"{role}-user"
        assert event.details_dict["reason"] == "GDPR request 2026-1"


def test_erasure_needs_a_reason_and_shreds_like_the_command(api_for, extracted,
                                                           django_capture_on_commit_callbacks):
    from audit.keys import document_key
    from docintel.documents import storage

    api = api_for("compliance")
    url = f"{DOCS}{extracted.pk}/erasure/"
    missing = api.post(url, {"reason": "  "}, format="json")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "reason_required"
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the erasure commits
        assert api.post(url, {"reason": "ticket 7"}, format="json").status_code == 200
    again = api.post(url, {"reason": "ticket 7"}, format="json")
    assert again.status_code == 200 and AuditEvent.objects.filter(action="document.erased").count() == 1
    document = Document.objects.get(pk=extracted.pk)
    assert document.text == "" and not document.extractions.exists()
    assert not document_key(str(document.pk))  # destroyed
    assert not storage.path_for(extracted.sha256).exists()
    clerk = api_for("clerk")
    assert clerk.get(f"{DOCS}{document.pk}/extraction/").status_code == 410
    assert clerk.get(f"{DOCS}{document.pk}/original/").status_code == 410


# --- Tokens ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["clerk", "reviewer", "compliance", "admin", "service"])
def test_own_tokens_are_listed_and_revoked(users, role):
    from rest_framework.test import APIClient

    user = users[role]
    _, key = ApiToken.issue(user, "mine")
    spare, _ = ApiToken.issue(user, "spare")
    others, _ = ApiToken.issue(make_user("clerk", f"other-of-{role}"), "not mine")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listed = api.get("/api/v1/tokens/").json()
    assert {t["name"] for t in listed} == {"mine", "spare"}
    assert all("key" not in t and "key_hash" not in t for t in listed)
    assert api.post(f"/api/v1/tokens/{others.pk}/revoke/").status_code == 404
    revoked = api.post(f"/api/v1/tokens/{spare.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    others.refresh_from_db()
    spare.refresh_from_db()
    assert spare.revoked_at is not None and others.revoked_at is None
    assert AuditEvent.objects.filter(action="auth.token_revoked", actor_username=user.username).exists()


# --- Conditional reads ------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "extraction/", "redacted/"])
def test_etag_and_if_none_match(api_for, extracted, suffix):
    from docintel.redaction.models import RedactionResult

    RedactionResult.objects.create(document=extracted, redacted_text="governed by [ADDRESS]", entities=[])
    api = api_for("clerk")
    url = f"{DOCS}{extracted.pk}/{suffix}"
    first = api.get(url)
    assert first.status_code == 200, first.content
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert api.get(url, HTTP_IF_NONE_MATCH=f'W/{etag}').status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH='"something else"').status_code == 200
    if suffix:
        reads = AuditEvent.objects.filter(action="document.viewed", document_id=extracted.pk)
        assert reads.count() == 4 and reads.filter(details__contains="not_modified").count() == 2
    if suffix == "":
        Document.objects.filter(pk=extracted.pk).update(status="failed")
    elif suffix == "extraction/":
        api_for("reviewer").post(f"{DOCS}{extracted.pk}/corrections/",
                                 {"pointer": "/governing_law", "decision": "confirm"}, format="json")
    else:
        RedactionResult.objects.filter(document=extracted).update(redacted_text="[REDACTED]")
    changed = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_the_extraction_envelope(api_for, extracted):
    record = api_for("clerk").get(f"{DOCS}{extracted.pk}/extraction/").json()
    assert {"id", "schema", "schema_version", "data", "grounding", "valid", "model", "escalated",
            "text_sha256", "corrections", "review"} <= set(record)
    assert record["review"]["state"] == "unreviewed" and record["review"]["fields_reviewed"] == 0
    assert record["grounding"]["/governing_law"] == [{"start": 56, "end": 64}]


def test_a_correction_reviews_the_field_it_lies_in_and_the_fields_inside_it():
    from docintel.api.views import review_state

    data = {"note_type": "Discharge summary", "allergies": ["penicillin", "latex"],
            "diagnoses": [{"description": "pneumonia", "icd10": "J18.9"}]}
    fields = 4  # /note_type, /allergies (a list of plain values is one field), two of /diagnoses/0
    one_allergy = {"data": data, "corrections": [{"pointer": "/allergies/0"}]}
    assert review_state(one_allergy) == {"state": "in_review", "fields_total": fields, "fields_reviewed": 1}
    whole_list = {"data": data, "corrections": [{"pointer": "/diagnoses"}, {"pointer": "/allergies"}]}
    assert review_state(whole_list)["fields_reviewed"] == 3
    everything = {"data": data, "corrections": [*whole_list["corrections"], {"pointer": "/note_type"}]}
    assert review_state(everything) == {"state": "reviewed", "fields_total": fields, "fields_reviewed": 4}
    # A pointer that merely starts like a field's name is another field.
    assert review_state({"data": {"note": "a", "note_type": "b"},
                         "corrections": [{"pointer": "/note_type"}]})["fields_reviewed"] == 1


def test_a_user_without_a_role_manages_no_tokens(api_for):
    api = api_for("none")
    assert api.get("/api/v1/tokens/").status_code == 403
    assert denied("none", "/api/v1/tokens/")
