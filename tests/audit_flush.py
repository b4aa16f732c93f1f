"""Let the test suite flush its throw-away database although the audit tables are append-only.

Transactional tests (``transactional_db``: the real-worker and live-server tests) end with Django's
flush, which TRUNCATEs (PostgreSQL) or DELETEs (SQLite) every table; the audit triggers reject that.
So, for those tests only, the owner of the test database lifts the triggers just before the flush and
restores them right after it (flush ends by sending ``post_migrate``). Production never runs this: there
the application role does not own the tables, so it cannot disable their triggers (deploy/postgres/).

Registered in ``tests/conftest.py`` by importing ``audit_log_flushable``.
"""

from __future__ import annotations

import pytest
from django.db import connections
from django.db.models.signals import post_migrate

from audit.append_only import set_enforced

TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "django_db_reset_sequences",
                          "django_db_serialized_rollback"}


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(TRANSACTIONAL_FIXTURES & set(request.fixturenames)) or bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))


@pytest.fixture(autouse=True)
def audit_log_flushable(request):
    """Set up after the test database, so that this teardown runs before its flush."""
    if not _is_transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    for alias in connections:
        set_enforced(connections[alias], False)


def _restore_after_flush(sender, using, **kwargs) -> None:
    if sender.label == "audit":
        set_enforced(connections[using], True)


post_migrate.connect(_restore_after_flush, dispatch_uid="tests.audit_flush")
