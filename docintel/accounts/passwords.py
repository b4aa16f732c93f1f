"""The password rule Django does not ship: an upper bound (OWASP ASVS 2.1.2: at least 64 characters
allowed, more than 128 refused), so that hashing a password cannot be made arbitrarily expensive."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class MaximumLengthValidator:
    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(f"This password is too long: at most {self.max_length} characters.",
                                  code="password_too_long", params={"max_length": self.max_length})

    def get_help_text(self) -> str:
        return f"Your password can be at most {self.max_length} characters long."
