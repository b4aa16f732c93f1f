"""Completion webhooks: when a document settles (done or failed), POST its status to each URL given
at upload, once, signed with HMAC-SHA256 so the receiver can trust it.

Body: ``{"event": "document.settled", "id", "status", "url"}`` (ids only, never content). Header
``X-Docintel-Signature: sha256=<hex hmac of the body>`` with ``settings.WEBHOOK_SECRET`` (derived
from the secret key when unset).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import httpx
from celery import shared_task
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from docintel.documents.models import Document
from docintel.task_runner import dispatch

from .models import UploadRequest

log = logging.getLogger(__name__)


def webhook_secret() -> bytes:
    if settings.WEBHOOK_SECRET:
        return settings.WEBHOOK_SECRET.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"docintel-webhook", hashlib.sha256).hexdigest().encode()


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(webhook_secret(), body, hashlib.sha256).hexdigest()


@receiver(post_save, sender=Document, dispatch_uid="docintel-api-webhooks")
def document_saved(sender, instance: Document, **kwargs) -> None:
    """Queue the webhooks of a document that just settled (sent after the transaction commits)."""
    if not instance.is_settled:
        return
    pending = UploadRequest.objects.filter(document=instance, notified_at__isnull=True)
    pending = pending.exclude(webhook_url="")
    for request_id in pending.values_list("pk", flat=True):
        dispatch(send_webhook, request_id)


@shared_task(bind=True, acks_late=True, max_retries=5)
def send_webhook(self, upload_request_id: int) -> None:
    upload = UploadRequest.objects.select_related("document").filter(pk=upload_request_id).first()
    if upload is None or not upload.document.is_settled:
        return
    # Claim it first, so that two deliveries of this task never send twice.
    if not UploadRequest.objects.filter(pk=upload.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()):
        return
    body = json.dumps({
        "event": "document.settled", "id": str(upload.document_id), "status": upload.document.status,
        "url": reverse("api-document-detail", args=[upload.document_id]),
    }).encode()
    try:
        response = httpx.post(upload.webhook_url, content=body, timeout=settings.WEBHOOK_TIMEOUT_S, headers={
            "Content-Type": "application/json", "X-Docintel-Signature": sign(body)})
        response.raise_for_status()
    except httpx.HTTPError as error:
        UploadRequest.objects.filter(pk=upload.pk).update(notified_at=None,
                                                          notify_error=type(error).__name__[:200])
        log.warning("webhook for upload %s failed (%s)", upload.pk, type(error).__name__)
        if self.request.retries < self.max_retries and not settings.TASKS_IN_PROCESS:
            raise self.retry(countdown=10 * 2 ** self.request.retries, exc=None) from None
        return
    UploadRequest.objects.filter(pk=upload.pk).update(notify_error="")
