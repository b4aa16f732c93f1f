"""Completion webhooks an integrator can rely on (issue 19) and that cannot be aimed at the server's
own network (issue 12, finding 3): signed over a timestamp and the body, retried with exponential
backoff on timeouts and 5xx, never following redirects, every attempt recorded and shown to the
uploader, and sent off the thread that runs the pipeline's stages. The receiver is a real HTTP server on
the loopback address (allowed here through DOCINTEL_WEBHOOK_ALLOWED_HOSTS, as a site would allow its
integration engine)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from docintel.api.models import UploadRequest, WebhookAttempt
from docintel.api.webhooks import deliver, due_deliveries, make_due, retry_delay_s, send_due_webhooks
from docintel.documents.models import Document
from tests.factories import DocumentFactory, make_user, text_file
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db
LIST = "/api/v1/documents/"
SECRET = "shared with the integrator"


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1:*"]
    settings.WEBHOOK_SECRET = SECRET
    settings.WEBHOOK_TIMEOUT_S = 1
    settings.WEBHOOK_RETRY_BASE_S = 30


def upload_with_webhook(api, url: str) -> UploadRequest:
    response = api.post(LIST, {"file": text_file(f"Agreement {time.monotonic_ns()}"), "webhook_url": url},
                        format="multipart")
    assert response.status_code == 202, response.content
    return UploadRequest.objects.filter(document_id=response.json()["id"]).latest("pk")


def settle(upload: UploadRequest, status: str = "done") -> None:
    Document.objects.filter(pk=upload.document_id).update(status=status)
    make_due(UploadRequest.objects.filter(pk=upload.pk))


def due_now(upload: UploadRequest) -> None:
    """Move the clock past the backoff (the test does not wait hours)."""
    UploadRequest.objects.filter(pk=upload.pk).update(webhook_next_at=timezone.now())


def test_signed_over_timestamp_and_body_and_delivered_once(api_for, django_capture_on_commit_callbacks):
    from tests.clients.conftest import verify_webhook_from_docs

    with WebhookReceiver() as receiver:
        upload = upload_with_webhook(api_for("clerk"), receiver.url)
        with django_capture_on_commit_callbacks() as queued:
            document = Document.objects.get(pk=upload.document_id)
            document.status = "done"
            document.save(update_fields=["status"])  # settling makes the webhook due and queues it
        assert len(queued) == 1
        assert deliver(upload.pk) == "delivered"
        assert deliver(upload.pk) is None  # delivered: a second send sends nothing
        request = receiver.wait_for(1, timeout=10)[0]
    headers = request["headers"]
    verify = verify_webhook_from_docs()
    assert verify(SECRET.encode(), headers["X-Docintel-Webhook-Signature"], request["body"])
    assert headers["X-Docintel-Event"] == "document.settled"
    assert headers["X-Docintel-Delivery"] == str(upload.pk)
    assert headers["X-Docintel-Signature"].startswith("sha256=")  # the first round's header, deprecated
    body = json.loads(request["body"])
    assert body == {"event": "document.settled", "id": str(upload.document_id), "status": "done",
                    "url": f"{LIST}{upload.document_id}/", "delivery": upload.pk, "attempt": 1}
    upload.refresh_from_db()
    assert upload.webhook_state == "delivered" and upload.notified_at is not None


def test_5xx_and_timeouts_are_retried_with_exponential_backoff(api_for, settings):
    with WebhookReceiver(answers=[503, 502, 204]) as receiver:
        upload = upload_with_webhook(api_for("clerk"), receiver.url)
        settle(upload)
        outcomes = []
        for _ in range(3):
            before = timezone.now()
            outcomes.append(deliver(upload.pk))
            upload.refresh_from_db()
            if upload.webhook_next_at:
                waited = (upload.webhook_next_at - before).total_seconds()
                assert retry_delay_s(len(outcomes)) - 1 <= waited <= retry_delay_s(len(outcomes)) + 5
                assert deliver(upload.pk) is None  # not due yet
                due_now(upload)
    assert outcomes == ["retry", "retry", "delivered"]
    assert [retry_delay_s(n) for n in range(1, 11)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    attempts = list(WebhookAttempt.objects.filter(upload_request=upload).values_list(
        "number", "status_code", "outcome"))
    assert attempts == [(1, 503, "retry"), (2, 502, "retry"), (3, 204, "delivered")]

    with WebhookReceiver(delay_s=3) as slow:  # answers after the 1 s timeout
        upload = upload_with_webhook(api_for("admin"), slow.url)
        settle(upload)
        assert deliver(upload.pk) == "retry"
    assert WebhookAttempt.objects.get(upload_request=upload).error == "timeout"


def test_attempts_end_after_the_last_one(api_for, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    with WebhookReceiver(answers=[500]) as receiver:
        upload = upload_with_webhook(api_for("clerk"), receiver.url)
        settle(upload)
        for _ in range(3):
            deliver(upload.pk)
            if UploadRequest.objects.get(pk=upload.pk).webhook_next_at:
                due_now(upload)
    upload.refresh_from_db()
    assert upload.webhook_state == "failed" and upload.webhook_next_at is None
    assert WebhookAttempt.objects.filter(upload_request=upload).count() == 3


@pytest.mark.parametrize(("answer", "error"), [(302, "redirect_not_followed"), (404, "http_404"),
                                               (410, "http_410")])
def test_redirects_and_other_4xx_are_not_retried(api_for, answer, error):
    with WebhookReceiver(answers=[answer]) as receiver:
        upload = upload_with_webhook(api_for("clerk"), receiver.url)
        settle(upload)
        assert deliver(upload.pk) == "failed"
        assert len(receiver.received) == 1  # the redirect's target was never asked
    assert WebhookAttempt.objects.get(upload_request=upload).error == error


def test_the_sweep_sends_what_is_due(api_for, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with WebhookReceiver() as receiver:
        upload = upload_with_webhook(api_for("clerk"), receiver.url)
        assert due_deliveries() == []  # not settled: nothing due
        Document.objects.filter(pk=upload.document_id).update(status="done")
        UploadRequest.objects.filter(pk=upload.pk).update(webhook_next_at=timezone.now() - timedelta(hours=2))
        assert due_deliveries() == [upload.pk]
        assert send_due_webhooks() == 1
        receiver.wait_for(1, timeout=10)
    assert UploadRequest.objects.get(pk=upload.pk).webhook_state == "delivered"


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/", "http://10.0.0.5/hook", "http://169.254.169.254/",
                                 "gopher://127.0.0.1/", "http://[::1]/hook", "http://localhost:8000/admin/"])
def test_upload_refuses_webhooks_into_the_servers_network(api_for, settings, url):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    response = api_for("clerk").post(LIST, {"file": text_file(), "webhook_url": url}, format="multipart")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("webhook_not_allowed", "invalid")
    assert not Document.objects.exists()


def test_a_target_refused_at_send_time_is_not_sent(api_for, settings):
    """The allow-list changed (or DNS did) after the upload: checked again before every attempt."""
    with WebhookReceiver() as receiver:
        upload = upload_with_webhook(api_for("clerk"), receiver.url)
        settings.WEBHOOK_ALLOWED_HOSTS = []
        settle(upload)
        assert deliver(upload.pk) == "failed"
        assert receiver.received == []
    assert WebhookAttempt.objects.get(upload_request=upload).error == "webhook_not_allowed"


def test_attempts_are_visible_to_the_uploader_only(api_for, users):
    with WebhookReceiver(answers=[503]) as receiver:
        clerk = api_for("clerk")
        upload = upload_with_webhook(clerk, receiver.url)
        settle(upload)
        deliver(upload.pk)
    hooks = clerk.get(f"{LIST}{upload.document_id}/webhooks/").json()
    assert len(hooks) == 1 and hooks[0]["state"] == "pending" and hooks[0]["next_attempt_at"]
    assert hooks[0]["attempts"][0] | {"started": None, "seconds": None} == {
        "number": 1, "status_code": 503, "error": "http_503", "outcome": "retry", "started": None,
        "seconds": None}
    assert api_for("reviewer").get(f"{LIST}{upload.document_id}/webhooks/").json() == []  # not theirs
    other = make_user("clerk", "clerk-two")
    from rest_framework.test import APIClient

    from docintel.accounts.models import ApiToken

    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(other, 't')[1]}")
    assert stranger.get(f"{LIST}{upload.document_id}/webhooks/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_slow_receiver_never_holds_the_stage_runner(settings):
    """On the embedded default, webhooks have threads of their own: while one waits on a receiver, the
    one thread that runs stages is free."""
    from docintel import task_runner
    from docintel.api import webhooks

    settings.WEBHOOK_TIMEOUT_S = 5
    with WebhookReceiver(delay_s=3) as receiver:
        upload = UploadRequest.objects.create(  # made directly: no pipeline runs in this test
            user=make_user("clerk"), document=DocumentFactory(status="done"), webhook_url=receiver.url,
            webhook_state="pending", webhook_next_at=timezone.now())
        sending = webhooks._in_process_senders().submit(webhooks.deliver, upload.pk)
        receiver.wait_for(1, timeout=10)  # the receiver is holding the request now
        ran = threading.Event()
        started = time.monotonic()
        task_runner._in_process_executor().submit(ran.set).result(timeout=10)
        assert ran.is_set() and time.monotonic() - started < 1
        assert not sending.done()
        assert sending.result(timeout=10) == "delivered"
