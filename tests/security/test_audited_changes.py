"""Finding 8: every admin change and every admin view of document content is an audited action, and so
is every change of access rights or document data elsewhere (token pages, ``issue_token``, pipeline
stages), each with its event in the same transaction.

The same-transaction rule is checked for every test of the suite by ``tests/security/audit_guard.py``;
the last tests here prove that the guard itself catches what it must.
"""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps

from . import audit_guard
from .conftest import PASSWORD, events, issue_token, last_seq

pytestmark = pytest.mark.django_db


def new_events(since: int, action: str | None = None):
    return events(action).filter(seq__gt=since)


def record_text(event) -> str:
    return json.dumps(event.as_record())


# --- Access rights -------------------------------------------------------------------------------------
def test_assignments_made_and_removed_in_the_admin_are_events(admin_client, document_with_outputs,
                                                               other_clerk):
    Assignment = apps.get_model("accounts", "DocumentAssignment")
    since = last_seq()
    response = admin_client.post("/admin/accounts/documentassignment/add/", {
        "document": str(document_with_outputs.pk), "user": str(other_clerk.pk)})
    assert response.status_code == 302, response.content
    assignment = Assignment.objects.get()
    granted = new_events(since, "access.granted").get()
    assert granted.document_id == document_with_outputs.pk and granted.actor_username == "root"
    assert granted.details_dict["user_id"] == other_clerk.pk

    since = last_seq()
    admin_client.post(f"/admin/accounts/documentassignment/{assignment.pk}/delete/", {"post": "yes"})
    assert not Assignment.objects.exists()
    revoked = new_events(since, "access.revoked").get()
    assert revoked.document_id == document_with_outputs.pk and revoked.actor_username == "root"


def test_tokens_cannot_be_reassigned_or_revived_and_revocation_is_an_event(admin_client, clerk, other_clerk):
    from docintel.accounts.models import ApiToken

    token, _ = ApiToken.issue(clerk, "nightly import")
    admin_client.post(f"/admin/accounts/apitoken/{token.pk}/change/", {
        "user": str(other_clerk.pk), "name": "taken over", "revoked_at_0": "", "revoked_at_1": ""})
    token.refresh_from_db()
    assert token.user_id == clerk.pk

    since = last_seq()
    admin_client.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    revoked = new_events(since, "auth.token_revoked").get()
    assert revoked.actor_username == "root" and revoked.details_dict["token"] == token.pk

    token.revoked_at = None
    with pytest.raises(ValueError):
        token.save()
    token.refresh_from_db()
    token.user = other_clerk
    with pytest.raises(ValueError):
        token.save()


def test_the_token_page_records_one_event_per_change(client, clerk):
    from docintel.accounts.models import ApiToken

    client.force_login(clerk)
    since = last_seq()
    client.post("/account/tokens/", {"name": "nightly import"})
    issued = new_events(since, "auth.token_issued")
    assert issued.count() == 1 and issued.get().actor_username == "clerk-ann"
    token = ApiToken.objects.get(user=clerk)
    since = last_seq()
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert new_events(since, "auth.token_revoked").count() == 1


def test_issue_token_records_the_account_its_role_and_the_token(db):
    since = last_seq()
    issue_token("billing", "service")
    actions = list(new_events(since).values_list("action", flat=True))
    assert "auth.account_created" in actions and "auth.role_changed" in actions
    assert actions.count("auth.token_issued") == 1


def test_people_changed_in_the_admin_are_events(admin_client, clerk):
    since = last_seq()
    response = admin_client.post(f"/admin/auth/user/{clerk.pk}/change/", {
        "username": clerk.username, "is_active": "", "groups": [], "last_login_0": "", "last_login_1": "",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    assert response.status_code == 302, response.content
    changed = new_events(since).exclude(action="auth.role_changed")
    assert changed.filter(details__contains="is_active").exists(), list(
        changed.values_list("action", "details"))


def test_people_are_deactivated_not_deleted(admin_client, clerk):
    response = admin_client.post(f"/admin/auth/user/{clerk.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert type(clerk).objects.filter(pk=clerk.pk).exists()


# --- Admin views of document content -----------------------------------------------------------------
@pytest.mark.parametrize(("model", "what"), [("redaction/redactionresult", "redactionresult"),
                                             ("extraction/extraction", "extraction")])
def test_admin_views_of_content_are_events(admin_client, document_with_outputs, model, what):
    app_label, model_name = model.split("/")
    row = apps.get_model(app_label, model_name).objects.get(document=document_with_outputs)
    since = last_seq()
    assert admin_client.get(f"/admin/{model}/{row.pk}/change/").status_code == 200
    viewed = new_events(since, "document.viewed").get()
    assert viewed.document_id == document_with_outputs.pk and viewed.actor_username == "root"
    assert viewed.details_dict["via"] == "admin" and viewed.details_dict["what"] == what


# --- Redaction rules ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("model", "form"), [
    ("redaction/allowlistentry", {"term": "St Mary Clinic", "note": ""}),
    ("redaction/denylistentry", {"term": "Jane Roe", "entity_type": "NAME"}),
    ("redaction/redactionpolicy", {"score_threshold": "0.5"}),
    ("redaction/customrecognizer", {"name": "ward-id", "entity_type": "OTHER_ID", "regex": r"W-\d{4}",
                                    "score": "0.6", "context_words": "", "enabled": "on"}),
])
def test_redaction_rules_changed_in_the_admin_are_events_without_their_terms(admin_client, model, form):
    since = last_seq()
    response = admin_client.post(f"/admin/{model}/add/", form)
    assert response.status_code == 302, response.content
    changed = new_events(since, "admin.changed").get()
    assert changed.actor_username == "root"
    assert changed.details_dict["model"] == model.replace("/", ".")
    assert changed.details_dict["change"] == "added"
    for value in form.values():
        if len(value) > 4:
            assert value not in record_text(changed)  # a deny-list term may be a patient's name


# --- Pipeline stages ---------------------------------------------------------------------------------
def test_parse_and_classify_record_what_they_store(clerk):
    """The stages as a worker runs them (the task, in this thread: its rows are the test's)."""
    from docintel.documents.tasks import run_stage

    from .conftest import api_as, upload

    document_id = upload(api_as(clerk)).json()["id"]
    for stage in ("parse", "classify"):
        run_stage.apply(args=(document_id, stage))
    parsed = events("document.parsed").get(document_id=document_id)
    assert parsed.details_dict["pages"] == 1 and "Jane" not in parsed.details
    classified = events("document.classified").get(document_id=document_id)
    assert classified.details_dict["kind"] == "contract"


# --- The guard ---------------------------------------------------------------------------------------
def _as_application_code(source: str):
    """Run ``source`` as if it were a function in docintel's own code (that is what the guard watches)."""
    namespace: dict = {}
    exec(compile(source, str(audit_guard.ROOT / "docintel" / "guard_probe.py"), "exec"), namespace)  # noqa: S102
    return namespace["probe"]


def test_the_guard_catches_an_unaudited_write(clerk):
    probe = _as_application_code(
        "from django.db import transaction\n"
        "def probe(user, group):\n"
        "    with transaction.atomic():\n"
        "        user.groups.through.objects.create(user=user, group=group)\n")
    from django.contrib.auth.models import Group

    start = len(audit_guard.violations)
    probe(clerk, Group.objects.create(name="probe-group"))
    caught = audit_guard.violations[start:]
    del audit_guard.violations[start:]
    assert len(caught) == 1 and re.search(r"INSERT auth_user_groups at docintel/guard_probe\.py:4", caught[0])


def test_the_guard_accepts_a_write_with_its_event(clerk):
    probe = _as_application_code(
        "from django.db import transaction\n"
        "from audit.actions import record_event\n"
        "def probe(token_model, user):\n"
        "    with transaction.atomic():\n"
        "        token_model.objects.filter(user=user).update(name='renamed')\n"
        "        record_event('auth.token_changed', actor=user, details={})\n")
    from docintel.accounts.models import ApiToken

    start = len(audit_guard.violations)
    probe(ApiToken, clerk)
    assert audit_guard.violations[start:] == []


def test_a_sign_in_is_recorded_and_bookkeeping_is_not_flagged(client, clerk):
    since = last_seq()
    assert client.post("/login/", {"username": clerk.username, "password": PASSWORD}).status_code == 302
    assert new_events(since, "auth.login").count() == 1
