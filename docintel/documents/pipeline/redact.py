"""Redact stage (placeholder until the redaction engine lands)."""

from .base import Stage


class RedactStage(Stage):
    name = "redact"

    def run(self, document) -> None:
        return None
