"""API tokens (hashed, revocable, shown once, with a document scope) and document assignments (who else
may see a document).

Both are access rights: every change is recorded by ``audit.receivers`` from the models' signals. Their
``save`` runs in a transaction, so that the receiver's event commits or rolls back with the change
whoever saves (a view, the admin, a command, a shell).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

TOKEN_PREFIX_CHARS = 8


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class TokenScope(models.TextChoices):
    """Which documents a token may open, within what its account's role allows."""

    ALL = "all", "Every document the account's role may open"
    ASSIGNED = "assigned", "Only documents the account uploaded or was assigned"


class ApiToken(models.Model):
    """A key for ``Authorization: Token <key>``. Only its hash is stored: the key is shown once.

    A token belongs to one account for life and a revoked token stays revoked: ``save`` refuses to move
    it or bring it back (issue a new one instead).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. 'billing system'")
    prefix = models.CharField(max_length=TOKEN_PREFIX_CHARS, help_text="First characters, to recognise it")
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=16, choices=TokenScope.choices, default=TokenScope.ALL,
                             help_text="Documents it may open, within its account's role")

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            if self.pk is not None:
                stored = ApiToken.objects.select_for_update().filter(pk=self.pk).values(
                    "user_id", "revoked_at", "key_hash").first()
                if stored and stored["user_id"] != self.user_id:
                    raise ValueError("an API token cannot change hands: issue a new one")
                if stored and stored["revoked_at"] is not None and self.revoked_at is None:
                    raise ValueError("a revoked API token stays revoked: issue a new one")
                if stored and stored["key_hash"] != self.key_hash:
                    raise ValueError("an API token's key cannot change: issue a new one")
            super().save(*args, **kwargs)

    @classmethod
    def issue(cls, user, name: str, scope: str = TokenScope.ALL) -> tuple[ApiToken, str]:
        """Create a token; returns it and the key, which is never retrievable again."""
        if scope not in TokenScope.values:
            raise ValueError(f"scope must be one of {', '.join(TokenScope.values)}")
        key = secrets.token_hex(20)
        token = cls(user=user, name=name[:100], prefix=key[:TOKEN_PREFIX_CHARS], key_hash=hash_token(key),
                    scope=scope)
        token.save()
        return token, key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class DocumentAssignment(models.Model):
    """Gives a person access to a document they did not upload. Made and removed by admins; each is an
    ``access.granted`` / ``access.revoked`` event."""

    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="document_assignments")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "user"], name="one_assignment_per_user")]

    def __str__(self) -> str:
        return f"{self.user} → {self.document_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and DocumentAssignment.objects.filter(pk=self.pk).exists():
            raise ValueError("an assignment is made or removed, never changed")
        with transaction.atomic():
            super().save(*args, **kwargs)
