"""What an API client asked for when it uploaded: its Idempotency-Key and its completion webhook."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UploadRequest(models.Model):
    """One accepted upload call. A repeated ``Idempotency-Key`` from the same user returns its document."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE,
                                 related_name="upload_requests")
    idempotency_key = models.CharField(max_length=200, blank=True)
    webhook_url = models.URLField(max_length=500, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_error = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""),
                                    name="one_upload_per_idempotency_key"),
        ]
        indexes = [models.Index(fields=["document", "notified_at"])]

    def __str__(self) -> str:
        return f"upload of {self.document_id} by {self.user_id}"
