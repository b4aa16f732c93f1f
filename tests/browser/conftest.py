"""Headless Chromium (Debian's, through Playwright) against a live docintel server with a real worker.

On PostgreSQL + Redis (CI) a real Celery worker processes the documents; on the embedded default the
live server's own process runs the same tasks in-process.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in the test thread; the test's own ORM calls are still
# plain synchronous code, so Django's guard against ORM use inside a running loop does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def worker(request, transactional_db):
    """The real worker: Celery with REDIS_URL, else the live server's in-process runner."""
    if os.environ.get("REDIS_URL"):
        yield request.getfixturevalue("celery_worker")
        return
    yield None
    from docintel import task_runner

    task_runner.wait_idle(600)  # let queued stages finish before the test database is flushed


@pytest.fixture
def screenshots(test_output_dir) -> Path:
    path = test_output_dir / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def open_as(browser, live_server, screenshots):
    """open_as("clerk") -> a signed-in page of a new browser context for a user of that role."""
    from django.contrib.auth import get_user_model

    from docintel.accounts.roles import set_roles

    # The server's first request builds its middleware (the static-file index among it): seconds on a
    # loaded machine, longer than a page load may take. Pay it here, with time to spare.
    with urllib.request.urlopen(f"{live_server.url}/login/", timeout=180):  # noqa: S310 - our live server
        pass
    contexts = []

    def sign_in(role: str, *, width: int = 1280):
        username = f"{role}-browser"
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(PASSWORD)
            user.save()
            set_roles(user, {role})
        context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True,
                                      base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield sign_in
    for context in contexts:
        context.close()
