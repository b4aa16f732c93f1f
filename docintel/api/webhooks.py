"""Completion webhooks an integrator can rely on: when a document settles (done or failed), POST its
status to each URL given at upload; signed over a timestamp and the body; retried with exponential
backoff over hours; every attempt recorded and shown to the uploader (``GET …/webhooks/``).

Body: ``{"event": "document.settled", "id", "status", "url", "delivery", "attempt"}`` (ids only,
never content). Headers: ``X-Docintel-Event``, ``X-Docintel-Delivery`` (receivers de-duplicate by it),
``X-Docintel-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`` and, until API
v2, the deprecated ``X-Docintel-Signature: sha256=<hex HMAC-SHA256 of the body>`` (no replay window).

The state of a delivery lives on its ``UploadRequest`` row, so retries survive restarts:
- when the document settles, its pending deliveries become due and are queued after the commit;
- a sender claims a due delivery by moving ``webhook_next_at`` past the attempt's timeout (a lease),
  so two senders never make the same attempt, and a sender that died leaves it due again;
- a timeout, connection error, unresolvable host, 408, 429 or 5xx is due again after
  ``WEBHOOK_RETRY_BASE_S * 2**(n-1)`` seconds (at most an hour) until ``WEBHOOK_MAX_ATTEMPTS``; a 2xx
  delivers; a redirect (never followed), another 4xx or a refused target fails it for good;
- a sweep sends whatever is due: Celery beat with workers, a thread of the server on the embedded
  default. On the embedded default sends run on threads of their own, never on the one thread that
  runs the pipeline's stages: a slow receiver must not hold up documents.
Where a webhook may go (SSRF) is ``webhook_targets``' business, checked again before every attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from celery import shared_task
from django.conf import settings
from django.db import connections, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from docintel.documents.models import SETTLED_STATUSES, Document

from .models import UploadRequest, WebhookAttempt, WebhookState
from .webhook_targets import WebhookRefused, WebhookUnresolved, check_webhook_url

log = logging.getLogger(__name__)

EVENT = "document.settled"
RETRY_STATUSES = {408, 429}
MAX_DELAY_S = 3600


def webhook_secret() -> bytes:
    if settings.WEBHOOK_SECRET:
        return settings.WEBHOOK_SECRET.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"docintel-webhook", hashlib.sha256).hexdigest().encode()


def signature_header(body: bytes, *, timestamp: int, secret: bytes | None = None) -> str:
    """``t=<timestamp>,v1=<HMAC-SHA256 of "<timestamp>." + body>``: what receivers verify (docs/API.md)."""
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1={hmac.new(secret or webhook_secret(), signed, hashlib.sha256).hexdigest()}"


def legacy_signature(body: bytes) -> str:
    """The first round's header value (deprecated: no timestamp, so no protection against replays)."""
    return "sha256=" + hmac.new(webhook_secret(), body, hashlib.sha256).hexdigest()


def retry_delay_s(attempt: int) -> int:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    return min(settings.WEBHOOK_RETRY_BASE_S * 2 ** (attempt - 1), MAX_DELAY_S)


# --- Queueing ---------------------------------------------------------------------------------------

_senders: ThreadPoolExecutor | None = None
_senders_lock = threading.Lock()


def _in_process_senders() -> ThreadPoolExecutor:
    global _senders
    with _senders_lock:
        if _senders is None:
            _senders = ThreadPoolExecutor(max_workers=2, thread_name_prefix="docintel-webhook")
        return _senders


def _send_here(upload_request_id: int) -> None:
    try:
        deliver(upload_request_id)
    except Exception:  # a webhook must never take its thread down
        log.exception("webhook delivery %s crashed", upload_request_id)
    finally:
        connections.close_all()


def queue_delivery(upload_request_id: int) -> None:
    """Send the delivery once the current transaction commits, off the stage runner's thread."""

    def send() -> None:
        if settings.TASKS_IN_PROCESS:
            _in_process_senders().submit(_send_here, upload_request_id)
        else:
            deliver_webhook.apply_async(args=[upload_request_id])

    transaction.on_commit(send)


def make_due(upload_requests) -> None:
    """Make the pending deliveries of ``upload_requests`` due now and queue them."""
    pending = upload_requests.filter(webhook_state=WebhookState.PENDING, webhook_next_at__isnull=True)
    ids = list(pending.values_list("pk", flat=True))
    if ids:
        UploadRequest.objects.filter(pk__in=ids).update(webhook_next_at=timezone.now())
        for upload_request_id in ids:
            queue_delivery(upload_request_id)


@receiver(post_save, sender=Document, dispatch_uid="docintel-api-webhooks")
def document_saved(sender, instance: Document, **kwargs) -> None:
    """A document that just settled: its webhooks are due (sent after the transaction commits)."""
    if instance.status in SETTLED_STATUSES:
        make_due(UploadRequest.objects.filter(document=instance))


# --- Sending ----------------------------------------------------------------------------------------


def _claim(upload_request_id: int) -> bool:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_S + 60)
    return bool(UploadRequest.objects.filter(
        pk=upload_request_id, webhook_state=WebhookState.PENDING, webhook_next_at__lte=now,
    ).update(webhook_next_at=lease))


def _post(upload: UploadRequest, attempt: int) -> tuple[int | None, str, str]:
    """One attempt: (HTTP status or None, error code or "", outcome: delivered/retry/failed)."""
    try:
        target = check_webhook_url(upload.webhook_url, settings.WEBHOOK_ALLOWED_HOSTS)
    except WebhookUnresolved as error:
        return None, error.code, "retry"
    except WebhookRefused as error:
        return None, error.code, "failed"
    body = json.dumps({
        "event": EVENT, "id": str(upload.document_id), "status": upload.document.status,
        "url": reverse("api-document-detail", args=[upload.document_id]), "delivery": upload.pk,
        "attempt": attempt,
    }).encode()
    headers = {
        "Content-Type": "application/json", "User-Agent": "docintel-webhooks/1", "Host": target.host_header,
        "X-Docintel-Event": EVENT, "X-Docintel-Delivery": str(upload.pk),
        "X-Docintel-Webhook-Signature": signature_header(body, timestamp=int(time.time())),
        "X-Docintel-Signature": legacy_signature(body),
    }
    # To the address that was checked (a second DNS answer cannot redirect it); the name goes in the
    # Host header and, for https, in TLS SNI and certificate verification.
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with httpx.Client(timeout=settings.WEBHOOK_TIMEOUT_S, follow_redirects=False, trust_env=False,
                          verify=settings.WEBHOOK_CA_BUNDLE or True) as client:
            response = client.post(target.connect_url, content=body, headers=headers, extensions=extensions)
    except httpx.TimeoutException:
        return None, "timeout", "retry"
    except httpx.HTTPError as error:
        return None, f"connection_failed: {type(error).__name__}", "retry"
    code = response.status_code
    if 200 <= code < 300:
        return code, "", "delivered"
    if 300 <= code < 400:
        return code, "redirect_not_followed", "failed"
    return code, f"http_{code}", "retry" if code >= 500 or code in RETRY_STATUSES else "failed"


def deliver(upload_request_id: int) -> str | None:
    """Make the next attempt of one delivery if it is due; returns its outcome (None: not due)."""
    if not _claim(upload_request_id):
        return None
    upload = UploadRequest.objects.select_related("document").get(pk=upload_request_id)
    if upload.document.status not in SETTLED_STATUSES:  # retried since: sent when it settles again
        UploadRequest.objects.filter(pk=upload.pk).update(webhook_next_at=None)
        return None
    attempt = upload.webhook_attempts.count() + 1
    started, clock = timezone.now(), time.monotonic()
    status_code, error, outcome = _post(upload, attempt)
    if outcome == "retry" and attempt >= settings.WEBHOOK_MAX_ATTEMPTS:
        outcome = "failed"
    with transaction.atomic():
        WebhookAttempt.objects.create(
            upload_request=upload, number=attempt, started=started, status_code=status_code,
            error=error[:200], outcome=outcome, seconds=round(time.monotonic() - clock, 3))
        changes: dict = {"notify_error": error[:200], "webhook_next_at": None}
        if outcome == "delivered":
            changes.update(webhook_state=WebhookState.DELIVERED, notified_at=timezone.now())
        elif outcome == "retry":
            changes["webhook_next_at"] = timezone.now() + timedelta(seconds=retry_delay_s(attempt))
        else:
            changes["webhook_state"] = WebhookState.FAILED
        UploadRequest.objects.filter(pk=upload.pk).update(**changes)
    if outcome != "delivered":
        log.warning("webhook delivery %s attempt %s: %s (%s)", upload.pk, attempt, outcome, error)
    return outcome


def due_deliveries(limit: int = 500) -> list[int]:
    return list(UploadRequest.objects.filter(
        webhook_state=WebhookState.PENDING, webhook_next_at__lte=timezone.now(),
    ).order_by("webhook_next_at").values_list("pk", flat=True)[:limit])


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(upload_request_id: int) -> None:
    deliver(upload_request_id)


@shared_task(ignore_result=True)
def send_due_webhooks() -> int:
    """Periodic (Celery beat): hand every due delivery to a worker."""
    due = due_deliveries()
    for upload_request_id in due:
        deliver_webhook.apply_async(args=[upload_request_id])
    return len(due)


_sweeper_started = threading.Lock()


def start_in_process_sweeper(**signal_kwargs) -> None:
    """On the embedded default, retries are sent by a thread of the server (what beat does with
    workers). Started by a server's first request, never at import (gunicorn --preload forks)."""
    if not settings.TASKS_IN_PROCESS or not _sweeper_started.acquire(blocking=False):
        return

    def loop() -> None:
        while True:
            try:
                for upload_request_id in due_deliveries():
                    _in_process_senders().submit(_send_here, upload_request_id)
            except Exception as error:  # the database may be migrating or busy: try again later
                log.warning("webhook sweep failed: %s", type(error).__name__)
            finally:
                connections.close_all()
            time.sleep(settings.WEBHOOK_SWEEP_S)

    threading.Thread(target=loop, name="docintel-webhook-sweep", daemon=True).start()
