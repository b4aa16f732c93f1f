"""Property-based run of the whole API against its own OpenAPI schema: no input makes it answer 5xx,
and every answer matches the schema. Bounded: a few examples per operation."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from audit.sequencer import start_in_background as start_audit_sequencer
from docintel import task_runner
from docintel.accounts.models import ApiToken
from docintel.api.webhooks import start_in_process_sweeper as start_webhook_sweeper
from docintel.documents.actions import upload_document
from docintel.documents.tasks import start_in_process_sweeper as start_stage_sweeper
from tests.factories import make_user

# The server's background sweeps, by the dispatch_uid under which docintel.wsgi connects them.
SWEEPERS = {"docintel.in_process_sweeper": start_stage_sweeper,
            "docintel.webhook_sweeper": start_webhook_sweeper,
            "docintel.audit_sequencer": start_audit_sequencer}


@pytest.fixture
def api_schema(transactional_db, settings):
    """The schema, served by the real WSGI app. As Django's test client does, keep the app from closing
    the test's database connection at the end of each request. Uploads go through the parse stage only
    (the API is under test, not the models), finished before the database is flushed."""
    from docintel.wsgi import application

    settings.PIPELINE_STAGES = ["parse: docintel.documents.pipeline.parse.ParseStage"]

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Nor start the server's background sweeps (stages, webhook retries) in the test's process: their
    # threads would write to SQLite's shared in-memory test database, which refuses a second writer.
    for uid in SWEEPERS:
        request_started.disconnect(dispatch_uid=uid)
    try:
        # Uploads made by the test stay queued: the in-process runner's writes would meet the requests'
        # reads in SQLite's shared in-memory database, which answers "table is locked" at once.
        with task_runner.queue_only():
            yield schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        for uid, sweeper in SWEEPERS.items():
            request_started.connect(sweeper, dispatch_uid=uid)
        task_runner.wait_idle(300)


@pytest.fixture
def admin_token(transactional_db) -> str:
    admin = make_user("admin", "schemathesis-admin")
    token = ApiToken.issue(admin, "schemathesis")[1]
    upload_document([b"A short agreement between Acme and Beta."], filename="sample.txt", actor=admin)
    # SQLite's shared in-memory test database refuses a second writer outright (no busy wait): let the
    # in-process runner finish the upload's parse before the test writes again.
    task_runner.wait_idle(300)
    return token


def test_api_never_answers_with_a_server_error(api_schema, admin_token):
    headers = {"Authorization": f"Token {admin_token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 6

    failures = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                     response_schema_conformance])

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:  # each operation runs; failures reported together
            failures[operation.label] = str(failure)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
