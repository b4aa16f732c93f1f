"""Accessibility kept: axe-core (npm, pinned in tests/package-lock.json) finds no serious or critical
WCAG 2.1 A/AA violation on any page of the UI, for each role that sees it, in every state a person
meets (empty, processing, done with fields, erased, not available, not allowed, not found); and a
person with a keyboard alone uploads, opens and corrects a field, seeing where the focus is at every
step.

axe runs from an init script (the DevTools protocol), so the pages' Content-Security-Policy stays on.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import expect

from tests.conftest import FIXTURES, ROOT

pytestmark = [pytest.mark.browser]

AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SAMPLE_NOTE = FIXTURES / "samples" / "synthetic-discharge-note.txt"

# Named pages that are not HTML pages a person reads, or not ours; every other named URL of the UI
# must be visited by test_every_page_passes_axe (so a new page cannot skip the check).
NOT_PAGES = {
    "logout": "POST only",
    "revoke-token": "POST only (the button is on the tokens page)",
    "document-retry": "POST only",
    "document-correct": "POST only",
    "document-download": "file downloads; the 'not available' page they can show is checked",
    "audit-export": "a file download (POST)",
    "audit-public-key": "a PEM file",
    "document-page-image": "a JPEG, not a page (its alt text: tests/ocr/test_stage.py)",
    "admin-login": "redirects to the sign-in page or the admin; others get the 403 page (not-allowed)",
}


@pytest.fixture
def with_axe(open_as):
    """open_as with axe-core injected into every page of the context."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: npm ci --prefix tests")

    def sign_in(role: str, **kwargs):
        page = open_as(role, **kwargs)
        page.context.add_init_script(path=str(AXE))
        page.reload()
        return page

    return sign_in


def serious_violations(page) -> list[dict]:
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})""",
        WCAG_21_A_AA)
    return [{"rule": v["id"], "impact": v["impact"], "help": v["help"],
             "where": [node["target"] for node in v["nodes"][:5]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


class PageChecker:
    """Visits pages and collects what axe finds on each."""

    def __init__(self, screenshots) -> None:
        self.screenshots = screenshots
        self.found: dict[str, list[dict]] = {}

    def check(self, page, path: str, label: str, *, status: int = 200) -> None:
        response = page.goto(path)
        assert response is not None and response.status == status, (path, response and response.status)
        page.wait_for_load_state("networkidle")
        found = serious_violations(page)
        if found:
            self.found[label] = found
            page.screenshot(path=self.screenshots / f"axe-{label}.png", full_page=True)


def ui_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                route = str(pattern.pattern)
                if route.startswith(("api/", "admin/")):
                    continue  # the REST API and Django's admin are not our pages
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(pattern.name)

    walk(get_resolver().url_patterns)
    return names


NOTE = SAMPLE_NOTE.read_text()


def processed_document(owner, *, status: str = "done", **fields):
    """A clinical note as the pipeline leaves it: text, redaction, an extraction with grounded fields.
    Made with the test factories (no model run): these tests are about the pages, not the pipeline."""
    from docintel.documents.pipeline.base import stage_names
    from docintel.redaction.models import RedactionResult
    from extraction.schemas import get_schema
    from tests.factories import DocumentFactory, ExtractionFactory

    settled = status == "done"
    stages = {name: {"status": status if settled or index else "running", "seconds": 0.2}
              for index, name in enumerate(stage_names())}
    document = DocumentFactory(filename=f"{status}-{SAMPLE_NOTE.name}", text=NOTE if settled else "",
                               uploaded_by=owner, status=status, stages=stages, **fields)
    if not settled:
        return document
    name = NOTE.index("HARGROVE")
    RedactionResult.objects.create(document=document, redacted_text=NOTE.replace("HARGROVE", "[NAME]"),
                                   entities=[{"type": "NAME", "start": name, "end": name + 8, "score": 0.9,
                                              "recognizer": "test"}])
    start = NOTE.index("Discharge")
    ExtractionFactory(document=document, schema_name="clinical_note",
                      data={**get_schema("clinical_note").empty(), "note_type": "Discharge summary"},
                      grounding={"/note_type": [{"start": start, "end": start + 9}]},
                      confidence={"/note_type": 0.8})
    return document


def test_every_page_passes_axe(with_axe, live_server, screenshots):
    checker = PageChecker(screenshots)
    visited: set[str] = set()

    anonymous = with_axe("clerk")
    anonymous.context.clear_cookies()
    checker.check(anonymous, "/login/", "login")
    visited.add("login")

    clerk = with_axe("clerk")
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.get(username="clerk-browser")
    done = processed_document(owner)
    processing = processed_document(owner, status="running")
    checker.check(clerk, "/upload/", "clerk-upload")
    checker.check(clerk, "/documents/", "clerk-documents")
    checker.check(clerk, "/documents/?status=failed&q=nothing", "clerk-documents-empty")
    checker.check(clerk, f"/documents/{done.pk}/", "clerk-document-done")
    checker.check(clerk, f"/documents/{processing.pk}/", "clerk-document-processing")
    checker.check(clerk, f"/documents/{processing.pk}/download/extraction.json", "not-available",
                  status=409)
    checker.check(clerk, "/account/tokens/", "clerk-tokens")
    checker.check(clerk, "/account/password/", "clerk-password")
    checker.check(clerk, "/documents/00000000-0000-0000-0000-000000000000/", "not-found", status=404)
    visited |= {"home", "upload", "documents", "document", "tokens", "password_change"}

    reviewer = with_axe("reviewer")
    checker.check(reviewer, f"/documents/{done.pk}/", "reviewer-document-with-correction-forms")

    compliance = with_axe("compliance")
    checker.check(compliance, "/audit/", "compliance-audit-log")
    checker.check(compliance, "/audit/?action=document.", "compliance-audit-filtered")
    checker.check(compliance, f"/audit/documents/{done.pk}/", "compliance-document-trail")
    checker.check(compliance, f"/documents/{done.pk}/", "not-allowed", status=403)
    from audit import sequencer
    from audit.models import AuditLeaf

    sequencer.integrate_now()  # the events so far, in the Merkle tree, with a signed head
    seq = AuditLeaf.objects.order_by("index").values_list("event_seq", flat=True).first()
    checker.check(compliance, f"/audit/events/{seq}/proof/", "compliance-event-proof")
    checker.check(compliance, "/audit/tree-heads/", "compliance-tree-heads")
    visited |= {"audit-events", "audit-document", "audit-proof", "audit-tree-heads"}

    from docintel.documents.erasure import erase_document

    erase_document(done, actor=None, reason="accessibility test")
    checker.check(clerk, f"/documents/{done.pk}/", "clerk-document-erased")

    missing = ui_url_names() - visited - set(NOT_PAGES)
    assert not missing, f"pages no axe check visits: {sorted(missing)} (add them here)"
    assert not checker.found, json.dumps(checker.found, indent=2)


def focus_state(page) -> dict:
    """The focused element and whether a person can see that it has the focus."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        const described = (el.getAttribute("aria-label") || el.innerText || el.value || el.name || "").trim();
        // A visually hidden input shows its focus on the label around it.
        const shown = el.classList.contains("visually-hidden-input") && el.closest("label") || el;
        const style = getComputedStyle(shown);
        const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
        return {tag: el.tagName, id: el.id, text: described.slice(0, 60),
                visible: outline || style.boxShadow !== "none"};
    }""")


def tab_to(page, matches, *, limit: int = 80, backwards: bool = False) -> dict:
    """Press Tab until the focused element satisfies ``matches``; every stop must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        state = focus_state(page)
        if state["tag"] != "BODY":
            assert state["visible"], f"focus is not visible on {state}"
        if matches(state):
            return state
    raise AssertionError(f"no focusable element matched within {limit} tab stops")


def test_keyboard_only_upload_open_and_correct(open_as, live_server, screenshots):
    """The file was processed before (same bytes, same clerk): the upload answers with that document, so
    the journey needs no model run; the pages, the upload call and the review form are the real ones."""
    from django.contrib.auth import get_user_model

    clerk = open_as("clerk")
    processed_document(get_user_model().objects.get(username="clerk-browser"),
                       sha256=hashlib.sha256(SAMPLE_NOTE.read_bytes()).hexdigest())
    clerk.goto("/documents/")
    tab_to(clerk, lambda s: s["tag"] == "A" and s["text"] == "Skip to content")
    tab_to(clerk, lambda s: s["tag"] == "A" and s["text"] == "Upload")
    clerk.keyboard.press("Enter")
    clerk.wait_for_url("**/upload/")

    tab_to(clerk, lambda s: s["id"] == "files")
    with clerk.expect_file_chooser() as chooser:
        clerk.keyboard.press("Space")
    chooser.value.set_files(SAMPLE_NOTE)
    expect(clerk.locator("#selection")).to_contain_text(SAMPLE_NOTE.name)
    tab_to(clerk, lambda s: s["id"] == "upload-button")
    clerk.keyboard.press("Enter")
    expect(clerk.locator("#uploads tbody a")).to_have_count(1)
    tab_to(clerk, lambda s: s["tag"] == "A" and s["text"] == SAMPLE_NOTE.name)
    clerk.screenshot(path=screenshots / "keyboard-1-uploaded.png")
    clerk.keyboard.press("Enter")
    clerk.wait_for_url("**/documents/*/")
    expect(clerk.locator("#overall-status")).to_have_text("Done")
    document_url = clerk.url

    reviewer = open_as("reviewer")
    reviewer.goto(document_url)
    field = reviewer.locator('.field[data-type="string"]').first
    value_id = field.locator('input[name="value"]').get_attribute("id")
    tab_to(reviewer, lambda s: s["id"] == value_id)
    reviewer.keyboard.press("Control+A")
    reviewer.keyboard.type("Corrected with the keyboard")
    reviewer.screenshot(path=screenshots / "keyboard-2-correcting.png")
    reviewer.keyboard.press("Enter")  # Enter in the field saves the correction (it does not confirm)
    expect(reviewer.locator(".messages")).to_contain_text("Corrected")
    expect(reviewer.locator(".review.corrected").first).to_contain_text("Corrected with the keyboard")
    reviewer.screenshot(path=screenshots / "keyboard-3-corrected.png")

    from extraction.models import Correction

    assert Correction.objects.get().value == "Corrected with the keyboard"
