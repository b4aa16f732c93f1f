"""The read paths of the REST API: one query per list page whatever its size, keyset and page-number
pagination with the same response shape, counts that stay cheap on large tables, every read audited
(one event per list request, not per row), token lookups cached with revocation honoured."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import AuditEvent
from docintel.accounts import authentication
from docintel.accounts.models import ApiToken
from docintel.api.serializers import DocumentSerializer
from docintel.documents.actions import upload_document
from docintel.documents.models import Document

pytestmark = pytest.mark.django_db
LIST = "/api/v1/documents/"
_SECOND = timedelta(seconds=1)


def _documents(count: int, user, prefix: str = "doc", kind: str = "auto") -> list[Document]:
    return [
        upload_document(
            [f"{prefix} number {i}".encode()], filename=f"{prefix}-{i}.txt", kind=kind, actor=user
        )[0]
        for i in range(count)
    ]


def _last_seq() -> int:
    """The newest event's number (numbers are unique and increasing, not gapless: count() is no guide)."""
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _not_audit(queries) -> list[str]:
    """The statements of a request other than its audit event's append."""
    return [q["sql"] for q in queries if "audit_" not in q["sql"]]


def test_a_list_page_is_one_query_whatever_its_size(api_for, users):
    _documents(30, users["clerk"])
    api = api_for("clerk")
    api.get(LIST)  # the token's first use is looked up (and stamped); later ones come from the cache
    for size in (1, 10, 30):
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get(LIST, {"page_size": size}).json()["results"]) == size
        assert len(_not_audit(queries)) == 1, _not_audit(queries)


def test_detail_is_one_query_and_audited(api_for, users):
    (document,) = _documents(1, users["clerk"])
    api = api_for("clerk")
    api.get(LIST)
    before = _last_seq()
    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"{LIST}{document.pk}/").json()
    assert body["id"] == str(document.pk)
    assert len(_not_audit(queries)) == 1, _not_audit(queries)
    event = AuditEvent.objects.get(seq__gt=before)
    assert (event.action, event.document_id, event.actor_id) == (
        "document.viewed",
        document.pk,
        users["clerk"].pk,
    )
    assert event.details_dict == {"via": "api", "what": "document"}


def test_each_list_request_is_one_audit_event_naming_what_was_shown(api_for, users):
    documents = _documents(7, users["clerk"], kind="contract")
    api = api_for("clerk")
    before = _last_seq()
    body = api.get(LIST, {"page_size": 5, "kind": "contract"}).json()
    events = list(AuditEvent.objects.filter(seq__gt=before))
    assert [e.action for e in events] == ["document.listed"]
    details = events[0].details_dict
    assert details["via"] == "api" and details["filters"] == {"kind": "contract"}
    assert details["documents"] == [r["id"] for r in body["results"]] and len(details["documents"]) == 5
    assert set(details["documents"]) <= {str(d.pk) for d in documents}
    assert events[0].actor_id == users["clerk"].pk


def test_records_keep_the_contract_shape(api_for, users):
    (document,) = _documents(1, users["clerk"])
    listed = api_for("clerk").get(LIST).json()["results"][0]
    shown = api_for("clerk").get(f"{LIST}{document.pk}/").json()
    expected = json.loads(json.dumps(DocumentSerializer(Document.objects.get(pk=document.pk)).data))
    assert listed == shown == expected


def test_cursor_and_page_numbers_walk_the_same_list(api_for, users):
    _documents(12, users["clerk"])
    api = api_for("clerk")
    first = api.get(LIST, {"page_size": 5}).json()
    assert first["count"] == 12 and first["count_exact"] and first["previous"] is None
    assert "page=2" in first["next"] and first["next_cursor"]

    by_page, url = [], f"{LIST}?page_size=5"
    while url:
        page = api.get(url).json()
        by_page += [r["id"] for r in page["results"]]
        url = page["next"]
    by_cursor, url = [], f"{LIST}?page_size=5&cursor={first['next_cursor']}"
    by_cursor += [r["id"] for r in first["results"]]
    while url:
        page = api.get(url).json()
        assert page["next"] is None or "cursor=" in page["next"]
        by_cursor += [r["id"] for r in page["results"]]
        url = page["next"]
    assert by_page == by_cursor and len(set(by_page)) == 12
    created = [d.created for d in Document.objects.filter(pk__in=by_page).order_by("-created", "-id")]
    assert [
        str(pk) for pk in Document.objects.order_by("-created", "-id").values_list("pk", flat=True)
    ] == by_page
    assert created == sorted(created, reverse=True)


def test_a_bad_cursor_is_a_clear_400(api_for):
    response = api_for("clerk").get(LIST, {"cursor": "not-a-cursor"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_cursor"


def test_past_the_exact_count_limit_the_count_is_an_estimate(api_for, users, settings):
    settings.API_EXACT_COUNT_LIMIT = 5
    _documents(12, users["admin"])
    api = api_for("admin")
    unfiltered = api.get(LIST).json()
    assert not unfiltered["count_exact"] and unfiltered["count"] >= 5
    filtered = api.get(LIST, {"q": "doc"}).json()
    assert not filtered["count_exact"] and filtered["count"] == 5  # "at least" this many
    assert api.get(LIST, {"q": "doc-1"}).json() | {"results": None} == {
        "count": 3,
        "count_exact": True,
        "next": None,
        "previous": None,
        "next_cursor": None,
        "results": None,
    }


def test_a_cached_token_is_refused_once_revoked_elsewhere_within_the_cache_time(users, settings, monkeypatch):
    token, key = ApiToken.issue(users["clerk"], "t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(LIST).status_code == 200
    # Revoked by another process: no signal reaches this one's cache.
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert api.get(LIST).status_code == 200  # still cached here
    now = authentication.time.monotonic()
    monkeypatch.setattr(authentication.time, "monotonic", lambda: now + settings.API_TOKEN_CACHE_S + 0.1)
    assert api.get(LIST).status_code == 401


def test_role_changes_reach_a_cached_token_in_this_process_at_once(api_for, users):
    from docintel.accounts.roles import set_roles

    api = api_for("clerk")
    assert api.get(LIST).status_code == 200
    set_roles(users["clerk"], set())
    assert api.get(LIST).status_code == 403


def _prepared_and_orm(api, url: str, monkeypatch) -> tuple[dict, dict]:
    """The same request answered through the statements compiled once per shape and through the ORM."""
    from docintel.api import prepared

    first = api.get(url).json()
    with monkeypatch.context() as patch:
        def refuse(*args, **kwargs):
            raise prepared.NotPreparable("compared with the ORM")

        patch.setattr(prepared, "_prepare", refuse)
        patch.setattr(prepared, "_statements", {})  # every shape is new: each is refused, runs the ORM
        second = api.get(url).json()
    return first, second


@pytest.mark.parametrize("scope", ["all", "assigned"])
def test_statements_compiled_once_answer_as_the_orm_does(api_for, users, monkeypatch, scope):
    """The list and detail SQL is compiled once per roles, token scope and page and reused with each
    caller's id and cursor: a service token of either scope, with documents it uploaded, documents
    assigned to it and documents it may not see, gets what the ORM's query gives, page after page."""
    from docintel.accounts.models import DocumentAssignment

    service = users["service"]
    own = _documents(4, service, "own")
    others = _documents(5, users["clerk"], "theirs")
    DocumentAssignment.objects.create(document=others[1], user=service)
    DocumentAssignment.objects.create(document=others[3], user=service)
    _, key = ApiToken.issue(service, "scoped", scope)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    first, orm = _prepared_and_orm(api, f"{LIST}?page_size=3", monkeypatch)
    assert first == orm
    visible = {str(d.pk) for d in (*own, others[1], others[3])} if scope == "assigned" else None
    assert first["count"] == (6 if scope == "assigned" else 9)
    seen, url = [], f"{LIST}?page_size=3&cursor={first['next_cursor']}"
    seen += [r["id"] for r in first["results"]]
    while url:
        page, orm = _prepared_and_orm(api, url, monkeypatch)
        assert page == orm
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    if visible is not None:
        assert set(seen) == visible and len(seen) == 6
    for document in (own[0], others[1], others[0]):
        shown, orm = _prepared_and_orm(api, f"{LIST}{document.pk}/", monkeypatch)
        assert shown == orm
    hidden = api.get(f"{LIST}{others[0].pk}/")
    assert hidden.status_code == (403 if scope == "assigned" else 200)


def test_the_same_statement_serves_another_caller_with_their_own_documents(api_for, users):
    """Two clerks share one compiled statement (same roles and scope), never each other's rows."""
    from tests.factories import make_user

    other = make_user("clerk", username="second-clerk")
    mine = {str(d.pk) for d in _documents(3, users["clerk"], "mine")}
    theirs = {str(d.pk) for d in _documents(2, other, "theirs")}
    _, key = ApiToken.issue(other, "t")
    second = APIClient()
    second.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert {r["id"] for r in api_for("clerk").get(LIST).json()["results"]} == mine
    assert {r["id"] for r in second.get(LIST).json()["results"]} == theirs


@pytest.mark.parametrize("microseconds", [0, 120_004])
def test_rows_written_from_the_database_text_keep_the_serializer_s_shape(api_for, users, microseconds):
    """The list and detail write the id and time from what the database driver returns (on SQLite: hex
    digits, UTC text) without making a UUID and a datetime first: the same JSON as the serializer, also
    for a time on a whole second (isoformat leaves the microseconds out) and after a cursor."""
    documents = _documents(3, users["clerk"])
    for number, document in enumerate(documents):
        when = document.created.replace(microsecond=microseconds) - (number + 1) * _SECOND
        Document.objects.filter(pk=document.pk).update(created=when)
    api = api_for("clerk")
    expected = [json.loads(json.dumps(DocumentSerializer(d).data))
                for d in Document.objects.filter(pk__in=[d.pk for d in documents]).order_by("-created")]
    first = api.get(LIST, {"page_size": 2}).json()
    rest = api.get(LIST, {"page_size": 2, "cursor": first["next_cursor"]}).json()
    assert first["results"] + rest["results"] == expected
    assert [api.get(f"{LIST}{d['id']}/").json() for d in expected] == expected
    assert expected[0]["created"].endswith("Z") and ("." in expected[0]["created"]) == bool(microseconds)


def test_utc_text_reads_every_form_a_time_comes_in():
    from datetime import UTC, datetime, timedelta, timezone

    from docintel.api.serializers import utc_text, uuid_text

    moment = datetime(2026, 11, 29, 17, 40, 1, 5, tzinfo=UTC)
    assert utc_text(moment) == utc_text("2026-11-29 17:40:01.000005") == "2026-11-29T17:40:01.000005Z"
    assert utc_text(moment.astimezone(timezone(timedelta(hours=2)))) == "2026-11-29T17:40:01.000005Z"
    whole_second = "2026-11-29T17:40:01Z"
    assert utc_text("2026-11-29 17:40:01") == utc_text(moment.replace(microsecond=0)) == whole_second
    assert utc_text("2026-11-29T19:40:01+02:00") == "2026-11-29T17:40:01Z"  # not the stored form: parsed
    with pytest.raises(ValueError):
        utc_text("yesterday")
    assert uuid_text("5eed5eed00004000800000005eed5eed") == "5eed5eed-0000-4000-8000-00005eed5eed"
    assert uuid_text(Document._meta.pk.to_python("5eed5eed00004000800000005eed5eed")) == (
        "5eed5eed-0000-4000-8000-00005eed5eed")


def test_api_responses_carry_the_settings_policy_built_once(api_for, users, settings):
    """The Content-Security-Policy of the settings is built once per process (``http_security``): an
    API response carries exactly what django-csp builds, a page with its own policy (the API docs)
    keeps its own, and a changed setting takes effect."""
    from csp.utils import build_policy

    api = api_for("clerk")
    assert api.get(LIST).headers["Content-Security-Policy"] == build_policy()
    docs = api.get("/api/v1/docs/").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" in docs and "blob:" in docs
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert api.get(LIST).headers["Content-Security-Policy"] == "default-src 'none'"


def test_content_negotiation_answers_json_at_once_and_still_refuses_what_it_cannot_write(api_for, users):
    """``Accept: */*`` (or none) is answered by the first renderer without parsing the header; any other
    header goes through DRF's negotiation: JSON when it is acceptable, 406 when it is not."""
    _documents(1, users["clerk"])
    api = api_for("clerk")
    for accept in ("*/*", "application/json", "application/json; q=0.9, text/html; q=0.1"):
        response = api.get(LIST, HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert response["Content-Type"] == "application/json" and response.json()["count"] == 1
    assert api.get(LIST).status_code == 200  # no Accept header at all
    assert api.get(LIST, HTTP_ACCEPT="application/xml").status_code == 406
