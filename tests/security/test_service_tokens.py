"""Finding 12: a service token's document scope is explicit, chosen when it is issued: ``all`` documents,
or ``assigned`` (those its account uploaded or was assigned). The default is the narrow one."""

from __future__ import annotations

import pytest
from django.apps import apps

from .conftest import api_as, api_with, issue_token, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerks_document(clerk):
    return upload(api_as(clerk)).json()["id"]


def ids(api) -> set[str]:
    return {row["id"] for row in api.get("/api/v1/documents/").json()["results"]}


def test_a_service_token_issued_for_all_documents_sees_them(clerks_document):
    api = api_with(issue_token("archive", "service", "--scope", "all"))
    assert clerks_document in ids(api)
    assert api.get(f"/api/v1/documents/{clerks_document}/").status_code == 200


def test_a_service_token_sees_only_its_own_and_assigned_documents_by_default(clerks_document):
    api = api_with(issue_token("billing", "service"))
    assert ids(api) == set()
    assert api.get(f"/api/v1/documents/{clerks_document}/").status_code == 403
    own = upload(api, content="Invoice 17 for Beta GmbH.\n", name="invoice.txt").json()["id"]
    assert ids(api) == {own}
    Token = apps.get_model("accounts", "ApiToken")
    assert Token.objects.get(user__username="billing").scope == "assigned"


def test_the_scope_is_part_of_the_token_not_of_the_account(clerks_document):
    narrow = api_with(issue_token("etl", "service", "--scope", "assigned"))
    wide = api_with(issue_token("etl", "service", "--scope", "all"))
    assert clerks_document not in ids(narrow) and clerks_document in ids(wide)


def test_an_unknown_scope_is_refused():
    from django.core.management import CommandError

    with pytest.raises((CommandError, SystemExit)):
        issue_token("etl", "service", "--scope", "everything")
