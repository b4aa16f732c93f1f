"""Twenty files dropped at once: each gets its own progress bar, all are accepted, and each shows its
processing stages live. The pipeline is cut to its parse stage here: the point is the upload page."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from docintel import task_runner
from docintel.documents.models import Document
from tests.conftest import CeleryWorker, purge_broker, require_services

pytestmark = pytest.mark.browser


PARSE_ONLY = "parse: docintel.documents.pipeline.parse.ParseStage"


@pytest.fixture
def parse_only_worker(settings, transactional_db, test_output_dir):
    """The real worker, running only the parse stage (here and in a Celery worker's environment)."""
    settings.PIPELINE_STAGES = [PARSE_ONLY]
    if not os.environ.get("REDIS_URL"):
        yield None
        task_runner.wait_idle(600)
        return
    purge_broker()
    worker = CeleryWorker(test_output_dir / "celery-worker-parse-only.log",
                          DOCINTEL_PIPELINE_STAGES=PARSE_ONLY).start()
    yield worker
    worker.stop()


def test_twenty_files_at_once_with_progress(parse_only_worker, open_as, screenshots, tmp_path):
    # The in-memory SQLite test database locks whole tables without waiting, so concurrent uploads and
    # status polls fail there; the embedded default's file database waits, as PostgreSQL does.
    require_services("DATABASE_URL")
    files = []
    for i in range(20):
        path = tmp_path / f"letter-{i:02}.txt"
        path.write_text(f"Letter {i}: the lease of unit {i} renews on 1 March 2027.\n" * 200)
        files.append(path)
    page = open_as("clerk")
    page.goto("/upload/")
    page.get_by_label("Choose files…").set_input_files(files)
    expect(page.locator("#selection")).to_contain_text("20 files chosen")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#uploads tbody tr")).to_have_count(20)
    page.screenshot(path=screenshots / "clerk-8-twenty-uploads.png", full_page=True)
    for row in page.locator("#uploads tbody tr").all():
        expect(row.locator("progress")).to_have_attribute("value", "100")
        expect(row.locator(".chip.done")).to_have_count(1, timeout=60_000)
    page.screenshot(path=screenshots / "clerk-9-twenty-done.png", full_page=True)
    assert Document.objects.count() == 20
    assert set(Document.objects.values_list("status", flat=True)) == {"done"}


def test_api_docs_page_works_offline(browser, live_server, screenshots):
    """Swagger UI comes from our own static files: the page makes no request off this server."""
    page = browser.new_page(base_url=live_server.url)
    outside = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) or r.url.startswith("data:")
            else outside.append(r.url))
    page.goto("/api/v1/docs/")
    expect(page.get_by_text("/api/v1/documents/").first).to_be_visible(timeout=20_000)
    page.screenshot(path=screenshots / "api-docs.png")
    page.close()
    assert outside == []
