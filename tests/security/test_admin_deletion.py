"""Finding 1: documents and their outputs leave only through GDPR erasure (key destroyed, event written),
never through a plain delete in the admin: not the changelist's bulk action, not the change page's
delete link, not a POST straight to the delete view."""

from __future__ import annotations

import pytest
from django.apps import apps

from .conftest import events

pytestmark = pytest.mark.django_db

# (admin URL of the model, how to find the rows of one document)
DOCUMENT_DATA = [
    ("documents", "document", "pk"),
    ("redaction", "redactionresult", "document"),
    ("extraction", "extraction", "document"),
]


def rows_of(app_label: str, model_name: str, field: str, document):
    model = apps.get_model(app_label, model_name)
    return model.objects.filter(**{field: document.pk})


def original_path(document):
    from docintel.documents import storage

    return storage.path_for(document.sha256)


@pytest.mark.parametrize(("app_label", "model_name", "field"), DOCUMENT_DATA)
def test_changelist_offers_no_bulk_delete(admin_client, document_with_outputs, app_label, model_name, field):
    url = f"/admin/{app_label}/{model_name}/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'value="delete_selected"' not in page.content.decode()
    row = rows_of(app_label, model_name, field, document_with_outputs).get()
    admin_client.post(url, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert rows_of(app_label, model_name, field, document_with_outputs).exists()


@pytest.mark.parametrize(("app_label", "model_name", "field"), DOCUMENT_DATA)
def test_delete_view_is_refused(admin_client, document_with_outputs, app_label, model_name, field):
    row = rows_of(app_label, model_name, field, document_with_outputs).get()
    change_page = admin_client.get(f"/admin/{app_label}/{model_name}/{row.pk}/change/").content.decode()
    assert f"/{row.pk}/delete/" not in change_page
    response = admin_client.post(f"/admin/{app_label}/{model_name}/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code in (403, 302)
    assert rows_of(app_label, model_name, field, document_with_outputs).exists()
    assert original_path(document_with_outputs).exists()


def test_no_admin_anywhere_offers_the_bulk_delete_action(admin_client):
    """Bulk delete is switched off site-wide: it would bypass every model's own audited path."""
    from django.contrib import admin

    assert "delete_selected" not in dict(admin.site.actions)


def test_the_admin_erases_documents_through_gdpr_erasure(admin_client, document_with_outputs):
    document = document_with_outputs
    path = original_path(document)
    assert path.exists()
    page = admin_client.post("/admin/documents/document/", {
        "action": "erase_documents", "_selected_action": [document.pk]})
    assert page.status_code == 200 and b"reason" in page.content  # asks why first
    with _commit_hooks():
        admin_client.post("/admin/documents/document/", {
            "action": "erase_documents", "_selected_action": [document.pk], "reason": "GDPR request 2026-7"})
    document.refresh_from_db()
    assert document.erased_at is not None and not document.text
    assert not rows_of("redaction", "redactionresult", "document", document).exists()
    assert not rows_of("extraction", "extraction", "document", document).exists()
    erased = events("document.erased").get()
    assert erased.document_id == document.pk and erased.actor_username == "root"
    assert not path.exists()


def _commit_hooks():
    """Run on-commit work (the original's deletion) although the test's transaction never commits."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)
