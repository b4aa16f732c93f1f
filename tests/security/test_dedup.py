"""Finding 2: identical bytes uploaded by two people. The blob store stays content-addressed (one file on
disk), but each uploader gets a document of their own: never the other's document, filename, uploader,
outputs or corrections, and no answer to "does this file exist here already?"."""

from __future__ import annotations

import pytest
from django.apps import apps

from .conftest import CONTRACT_TEXT, api_as, events, upload

pytestmark = pytest.mark.django_db


def test_a_second_uploader_gets_a_document_of_their_own(clerk, other_clerk):
    ann, bob = api_as(clerk), api_as(other_clerk)
    first = upload(ann, name="ann-lease.txt").json()
    second = upload(bob, name="bob-copy.txt").json()

    assert second["id"] != first["id"]
    # The same answer as for any file nobody had uploaded: nothing tells Bob that Ann has it.
    assert second["created"] is True and set(second) == set(first)
    mine = bob.get(f"/api/v1/documents/{second['id']}/").json()
    assert mine["filename"] == "bob-copy.txt" and mine["sha256"] == ann.get(
        f"/api/v1/documents/{first['id']}/").json()["sha256"]

    assert bob.get(f"/api/v1/documents/{first['id']}/").status_code == 403
    assert bob.get(f"/api/v1/documents/{first['id']}/extraction/").status_code == 403
    assert [d["id"] for d in bob.get("/api/v1/documents/").json()["results"]] == [second["id"]]
    assert [d["id"] for d in ann.get("/api/v1/documents/").json()["results"]] == [first["id"]]
    assert not apps.get_model("accounts", "DocumentAssignment").objects.exists()

    uploaded = events("document.uploaded").filter(document_id=second["id"]).get()
    assert uploaded.actor_username == "clerk-bob"


def test_the_same_uploader_again_gets_the_same_document(clerk):
    ann = api_as(clerk)
    first = upload(ann).json()
    again = upload(ann, name="renamed.txt").json()
    assert again["id"] == first["id"] and again["created"] is False


def test_web_pages_do_not_show_the_other_uploaders_document(client, clerk, other_clerk):
    first = upload(api_as(clerk), name="ann-lease.txt").json()
    upload(api_as(other_clerk), name="bob-copy.txt")
    client.force_login(other_clerk)
    listing = client.get("/documents/").content.decode()
    assert "bob-copy.txt" in listing and "ann-lease.txt" not in listing
    assert client.get(f"/documents/{first['id']}/").status_code == 403


def test_erasing_one_uploaders_document_keeps_the_others_original(clerk, other_clerk):
    from django.core.management import call_command
    from django.test import TestCase

    from docintel.documents import storage

    first = upload(api_as(clerk)).json()
    second = upload(api_as(other_clerk), content=CONTRACT_TEXT).json()
    Document = apps.get_model("documents", "Document")
    sha = Document.objects.get(pk=second["id"]).sha256
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("erase_document", first["id"], "--reason", "GDPR request 11")
    assert Document.objects.get(pk=first["id"]).erased_at is not None
    assert storage.path_for(sha).exists(), "Bob's original went with Ann's erasure"
    # Once the last document holding the bytes is erased, the file goes too.
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("erase_document", second["id"], "--reason", "GDPR request 12")
    assert not storage.path_for(sha).exists()
