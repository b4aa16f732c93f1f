"""Fixtures shared by every test area: paths, the real Celery worker, and service requirements.

With ``DATABASE_URL`` and ``REDIS_URL`` set (CI), tests run on PostgreSQL and a real Celery worker.
Without them, tests needing those services are skipped, unless ``DOCINTEL_REQUIRE_SERVICES=1`` (CI),
where a missing service is an error: CI must never pass by skipping the real parts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from docintel.accounts.models import ApiToken
from docintel.accounts.roles import Role, set_roles
from docintel.documents.models import Document
from tests.audit_flush import audit_log_flushable  # noqa: F401  (flushing past the append-only audit log)
from tests.factories import DocumentFactory, UserFactory, make_user

# Every test of the suite fails when the application writes document data or access rights in a
# transaction without an audit event (docs/SECURITY.md, finding 8).
pytest_plugins = ["tests.security.audit_guard"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = (ROOT.parent / "shared" / "corpus" / "contracts").resolve()
TEST_OUTPUT = Path(os.environ.get("DOCINTEL_TEST_OUTPUT", ROOT / "test-output"))


def require_services(*names: str) -> None:
    """Skip (or, in CI, fail) unless the named real services are configured."""
    missing = [n for n in names if not os.environ.get(n)]
    if not missing:
        return
    message = f"needs {', '.join(missing)} (the real services)"
    if os.environ.get("DOCINTEL_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def test_output_dir() -> Path:
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    return TEST_OUTPUT


def worker_environment(**extra: str) -> dict[str, str]:
    """Environment for a subprocess (worker, server, command) that shares the test database and data dir."""
    from django.db import connection

    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "docintel.settings"
    env["DOCINTEL_DATA_DIR"] = str(settings.DATA_DIR)
    env["PYTHONUNBUFFERED"] = "1"
    if os.environ.get("DATABASE_URL"):
        db = connection.settings_dict
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{db['NAME']}"
    env.update(extra)
    return env


class CeleryWorker:
    """A real ``celery worker`` subprocess against the test database and the real Redis broker."""

    def __init__(self, log_path: Path, **env: str) -> None:
        self.log_path = log_path
        self.env = worker_environment(**env)
        self.process: subprocess.Popen | None = None

    def start(self) -> CeleryWorker:
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - the worker writes to it until stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "docintel", "worker", "--pool=solo", "--concurrency=1",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # ready when it says so in its log
            if b"ready." in self.log_path.read_bytes():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early; see {self.log_path}")
            time.sleep(0.2)
        raise RuntimeError(f"celery worker did not start; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to acknowledge, requeue or clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def purge_broker() -> None:
    subprocess.run([sys.executable, "-m", "celery", "-A", "docintel", "purge", "-f"], cwd=ROOT,
                   env=worker_environment(), capture_output=True, timeout=60, check=False)


@pytest.fixture
def celery_worker(transactional_db, test_output_dir):
    """A running real worker for one test; the test must commit its rows (transactional_db)."""
    require_services("DATABASE_URL", "REDIS_URL")
    purge_broker()
    worker = CeleryWorker(test_output_dir / "celery-worker.log").start()
    yield worker
    worker.stop()


def wait_for_status(document, statuses=("done", "failed"), timeout: float = 300.0):
    """Poll the database until the document settles; returns the refreshed document."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.status in statuses:
            return document
        time.sleep(0.3)
    raise AssertionError(f"document {document.pk} still {document.status} after {timeout}s: "
                         f"{document.stages}")


# --- People --------------------------------------------------------------------------------------------
ROLES = [*Role.values, "none"]  # "none": signed in, no role at all


@pytest.fixture
def users(db) -> dict:
    """One user per role (and one with none), keyed by role."""
    return {role: make_user(role) for role in ROLES}


@pytest.fixture
def api_for(users):
    """api_for("clerk") -> an APIClient sending that user's token."""

    def client(role: str) -> APIClient:
        _, key = ApiToken.issue(users[role], "tests")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api

    return client


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    """Each test counts logins and requests from zero: the same cache backend (Redis in CI), its own
    key prefix. (Clearing the cache would flush the Redis database the broker shares.)"""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def _own_audit_witness(settings, tmp_path_factory):
    """Each test's audit log starts empty, so each gets its own witness file of tree heads (a witness
    that remembered another test's larger tree would rightly call this one truncated)."""
    settings.AUDIT_WITNESS_DIR = str(tmp_path_factory.mktemp("audit-witness"))
    # Tests integrate when they mean to (sequencer.integrate_now); a sequencer thread in the test process
    # would write to SQLite's shared in-memory database beside the test.
    settings.AUDIT_INTEGRATE_EVERY_S = 0


@pytest.fixture
def user_with_roles(db):
    """user_with_roles("ann", "compliance", "admin"): a user holding exactly those roles."""

    def make(username: str, *roles: str):
        user = UserFactory(username=username)
        set_roles(user, set(roles))
        return user

    return make


@pytest.fixture
def make_document(db):
    def make(name: str = "note.txt", text: str = "Patient John Smith, MRN 123456.") -> Document:
        return DocumentFactory(filename=name, text=text)

    return make
