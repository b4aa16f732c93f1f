"""API tokens (hashed, revocable, shown once) and document assignments (who else may see a document)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX_CHARS = 8


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A key for ``Authorization: Token <key>``. Only its hash is stored: the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. 'billing system'")
    prefix = models.CharField(max_length=TOKEN_PREFIX_CHARS, help_text="First characters, to recognise it")
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:
        """Create a token; returns it and the key, which is never retrievable again."""
        key = secrets.token_hex(20)
        token = cls.objects.create(user=user, name=name[:100], prefix=key[:TOKEN_PREFIX_CHARS],
                                   key_hash=hash_token(key))
        return token, key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class DocumentAssignment(models.Model):
    """Gives a clerk access to a document they did not upload (or uploaded again: deduplicated)."""

    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="document_assignments")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "user"], name="one_assignment_per_user")]

    def __str__(self) -> str:
        return f"{self.user} → {self.document_id}"
