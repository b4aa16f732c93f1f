"""The three journeys of issue 7, end to end in a real browser against a live server and a real worker:
a clerk uploads a PDF and sees its fields highlighted in the text, a reviewer corrects a field, and a
compliance officer filters the audit log and downloads an export that verifies offline.

Screenshots of every key page land in test-output/screenshots/ (look at them after a change).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from audit.models import AuditEvent
from docintel.documents.actions import upload_path
from extraction.models import Correction
from tests.conftest import FIXTURES, ROOT, wait_for_status

pytestmark = [pytest.mark.browser, pytest.mark.llm]

SAMPLE_PDF = FIXTURES / "samples" / "cuad-a03042233d-co-branding-agreement.pdf"
SAMPLE_NOTE = FIXTURES / "samples" / "synthetic-discharge-note.txt"
PROCESSING_MS = 600_000  # the embedded model on 2 shared cores


def processed(path, role="clerk"):
    """A document uploaded by a user of ``role`` and processed by the real worker."""
    user, _ = get_user_model().objects.get_or_create(username=f"{role}-uploader")
    from docintel.accounts.roles import set_roles

    set_roles(user, {role})
    document, _ = upload_path(path, actor=user)
    return wait_for_status(document, timeout=PROCESSING_MS / 1000)


def test_clerk_uploads_a_pdf_and_sees_it_finish_with_fields_highlighted(open_as, worker, screenshots):
    page = open_as("clerk")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Upload").click()
    page.screenshot(path=screenshots / "clerk-1-upload-page.png", full_page=True)
    page.get_by_label("Choose files…").set_input_files(SAMPLE_PDF)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#uploads progress")).to_have_attribute("value", "100")
    expect(page.locator("#uploads .chip").first).to_be_visible()
    page.screenshot(path=screenshots / "clerk-2-upload-progress.png", full_page=True)

    page.locator("#uploads tbody a").first.click()
    expect(page.locator(".stage").first).to_be_visible()
    page.screenshot(path=screenshots / "clerk-3-document-processing.png", full_page=True)
    expect(page.locator("#overall-status")).to_have_text("Done", timeout=PROCESSING_MS)

    grounded = page.locator(".field-show:not([aria-disabled])").first
    expect(grounded).to_be_visible()
    grounded.click()
    expect(page.locator(".mark.grounding.active").first).to_be_visible()
    page.screenshot(path=screenshots / "clerk-4-document-field-highlighted.png")
    page.get_by_role("tab", name="Redacted").click()
    expect(page.locator("#panel-redacted")).to_be_visible()
    page.screenshot(path=screenshots / "clerk-5-document-redacted.png")

    with page.expect_download() as download:
        page.get_by_role("link", name="Fields (CSV)").click()
    assert download.value.path().read_text().startswith("field,value,model_value,review")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("tab", name="Original").click()
    page.screenshot(path=screenshots / "clerk-6-document-narrow.png", full_page=True)

    page.goto("/documents/")
    page.get_by_label("Status").select_option("done")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=SAMPLE_PDF.name)).to_be_visible()
    page.screenshot(path=screenshots / "clerk-7-document-list.png", full_page=True)
    actions = set(AuditEvent.objects.filter(actor_username="clerk-browser").values_list("action", flat=True))
    assert {"document.uploaded", "document.viewed", "document.downloaded"} <= actions


def test_reviewer_corrects_a_field(open_as, worker, screenshots):
    document = processed(SAMPLE_NOTE)
    assert document.status == "done", document.stages
    page = open_as("reviewer")
    page.get_by_role("link", name=SAMPLE_NOTE.name).click()
    field = page.locator('.field[data-type="string"]').first
    label = field.locator(".field-label").inner_text()
    field.get_by_label(f"Correct value for {label}", exact=True).fill("Corrected by the reviewer")
    field.get_by_role("button", name="Save correction").click()
    expect(page.locator(".messages")).to_contain_text("Corrected")
    expect(page.locator(".review.corrected").first).to_contain_text("Corrected by the reviewer")
    page.screenshot(path=screenshots / "reviewer-1-corrected.png")
    page.locator(".field:not(:has(.review))").first.get_by_role("button", name="Confirm").click()
    expect(page.locator(".review.confirmed").first).to_be_visible()

    correction = Correction.objects.get(status="corrected")
    assert correction.value == "Corrected by the reviewer"
    assert correction.corrected_by.username == "reviewer-browser"
    with page.expect_download() as download:
        page.get_by_role("link", name="Fields (JSON)").click()
    record = json.loads(download.value.path().read_text())
    assert any(c["value"] == "Corrected by the reviewer" for c in record["corrections"])
    corrected = AuditEvent.objects.filter(action="extraction.corrected", actor_username="reviewer-browser")
    assert corrected.exists()


def test_compliance_officer_filters_events_and_downloads_a_verified_export(open_as, worker, screenshots,
                                                                           tmp_path):
    user, _ = get_user_model().objects.get_or_create(username="clerk-uploader")
    document, _ = upload_path(SAMPLE_NOTE, actor=user)
    page = open_as("compliance")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    page.screenshot(path=screenshots / "compliance-1-audit-log.png", full_page=True)
    page.get_by_label("Action").fill("document.uploaded")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("main")).to_contain_text("document.uploaded")
    page.screenshot(path=screenshots / "compliance-2-filtered.png", full_page=True)
    # Forbidden for compliance: the document itself (403, audited).
    response = page.goto(f"/documents/{document.pk}/")
    assert response.status == 403
    page.screenshot(path=screenshots / "compliance-3-forbidden.png")
    page.goto(f"/audit/documents/{document.pk}/")
    expect(page.locator("main")).to_contain_text("document.uploaded")
    page.screenshot(path=screenshots / "compliance-4-document-trail.png", full_page=True)

    page.goto("/audit/")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download export").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as bundle:  # the export and its signed manifest
        bundle.extractall(tmp_path)
        export = next(name for name in bundle.namelist() if not name.endswith(".manifest.json"))
    verified = subprocess.run([sys.executable, "-m", "audit.verify_export", str(tmp_path / export)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert AuditEvent.objects.filter(action="access.denied", actor_username="compliance-browser").exists()
