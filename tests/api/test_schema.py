"""The OpenAPI schema is the contract integrators generate clients from (issue 19): it validates, uploads
declare multipart/form-data alone, every answer a client can get is declared with the error envelope,
and what clients read is a named, typed component (never a bare object)."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

PUBLIC = {("/api/v1/schema/", "get"), ("/api/v1/audit/public-key/", "get"),
          ("/api/v1/audit/public-keys/", "get")}
NAMED_COMPONENTS = {
    "Document", "PaginatedDocumentList", "UploadAccepted", "Error", "Extraction", "ExtractionReview",
    "Clause", "RedactedText", "Entity", "AuditEvent", "PaginatedAuditEventList", "AuditLogStatus",
    "InclusionProof", "ConsistencyProof", "TreeHead",
    "Correction", "ExtractionSchema", "ExtractionSchemaVersion", "ApiToken", "WebhookDelivery",
    "WebhookAttempt", "Erasure",
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("schema") / "docintel.yaml"
    call_command("spectacular", "--file", str(path))
    return yaml.safe_load(path.read_text())


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_the_schema_validates_with_openapi_spec_validator(schema):
    validate(schema)


def test_uploads_declare_multipart_form_data_only(schema):
    upload = schema["paths"]["/api/v1/documents/"]["post"]
    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    for path, method, operation in operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        assert "application/x-www-form-urlencoded" not in content, (method, path)


def error_schema_of(response) -> dict:
    return response["content"]["application/json"]["schema"]


def test_every_operation_declares_the_errors_a_client_can_get(schema):
    problems = []
    for path, method, operation in operations(schema):
        if (path, method) in PUBLIC:
            continue
        declared = set(operation["responses"])
        needed = {"401", "403", "429"}
        if "{" in path:
            needed.add("404")
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if operation.get("requestBody") or query:
            needed.add("400")
        if "page" in query:
            needed.add("404")  # a page past the end
        if path == "/api/v1/documents/" and method == "post":
            needed |= {"413", "415", "507"}
        if path.endswith(("/extraction/", "/redacted/")):
            needed |= {"409", "410", "304"}
        missing = needed - declared
        if missing:
            problems.append(f"{method.upper()} {path}: {sorted(missing)}")
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                ref = error_schema_of(response).get("$ref", "")
                if not ref.endswith("/Error"):
                    problems.append(f"{method.upper()} {path} {status}: not the error envelope")
    assert not problems, "\n".join(problems)


def test_what_clients_read_are_named_components(schema):
    components = schema["components"]["schemas"]
    assert set(components) >= NAMED_COMPONENTS, sorted(NAMED_COMPONENTS - set(components))
    extraction = components["Extraction"]["properties"]
    assert {"schema", "schema_version", "data", "grounding", "model", "valid", "review", "clauses",
            "corrections"} <= set(extraction)
    assert set(components["Clause"]["properties"]) >= {"present", "evidence", "value", "confidence"}
    assert {"seq", "time", "action", "actor_username", "actor_role", "document_id", "purpose", "details",
            "hash", "prev_hash"} <= set(components["AuditEvent"]["properties"])


def test_no_json_answer_is_an_untyped_object(schema):
    """A response that is a bare ``{"type": "object"}`` gives generated clients nothing to work with."""
    untyped = []
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            body = response.get("content", {}).get("application/json", {}).get("schema")
            if body and body.get("type") == "object" and not body.get("properties") and "$ref" not in body:
                untyped.append(f"{method.upper()} {path} {status}")
    assert not untyped, untyped


def test_conditional_reads_declare_etag_and_if_none_match(schema):
    for path in ("/api/v1/documents/{id}/", "/api/v1/documents/{id}/extraction/",
                 "/api/v1/documents/{id}/redacted/"):
        operation = schema["paths"][path]["get"]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "If-None-Match" in headers, path
        assert "ETag" in operation["responses"]["200"].get("headers", {}), path
        assert "304" in operation["responses"], path
