"""What an API client asked for when it uploaded: its Idempotency-Key and its completion webhook, with
every attempt to deliver that webhook."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WebhookState(models.TextChoices):
    PENDING = "pending"  # waiting for the document to settle, or for the next attempt
    DELIVERED = "delivered"
    FAILED = "failed"  # refused, not retried (a redirect, a 4xx) or out of attempts


class UploadRequest(models.Model):
    """One accepted upload call. A repeated ``Idempotency-Key`` from the same user returns its document.

    With a ``webhook_url``, the row is also the webhook's delivery (docintel/api/webhooks.py):
    ``webhook_next_at`` is when the next attempt is due (and, while one runs, its lease).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE,
                                 related_name="upload_requests")
    idempotency_key = models.CharField(max_length=200, blank=True)
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_state = models.CharField(max_length=16, choices=WebhookState.choices, blank=True)
    webhook_next_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the webhook was delivered")
    notify_error = models.CharField(max_length=200, blank=True, help_text="The last attempt's error")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""),
                                    name="one_upload_per_idempotency_key"),
        ]
        indexes = [models.Index(fields=["document", "webhook_state"]),
                   models.Index(fields=["webhook_state", "webhook_next_at"])]

    def __str__(self) -> str:
        return f"upload of {self.document_id} by {self.user_id}"


class WebhookAttempt(models.Model):
    """One POST of a completion webhook and how it ended (shown to the uploader)."""

    upload_request = models.ForeignKey(UploadRequest, on_delete=models.CASCADE,
                                       related_name="webhook_attempts")
    number = models.PositiveSmallIntegerField()
    started = models.DateTimeField()
    seconds = models.FloatField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The receiver's answer")
    error = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=16, help_text="delivered, retry or failed")

    class Meta:
        ordering = ["upload_request", "number"]
        constraints = [models.UniqueConstraint(fields=["upload_request", "number"],
                                               name="one_webhook_attempt_per_number")]

    def __str__(self) -> str:
        return f"attempt {self.number} of webhook {self.upload_request_id}: {self.outcome}"
