"""Errors users can read: a stable code and one sentence, turned into HTTP/CLI/status in one place each.

Messages never contain document text (PHI): name the problem, not the content.
"""

from __future__ import annotations


class DocintelError(Exception):
    """Base of every error docintel reports to a person or a program."""

    default_code = "error"
    http_status = 400
    retryable = False

    def __init__(self, code: str | None = None, message: str = "") -> None:
        self.code = code or self.default_code
        self.message = message or self.code.replace("_", " ")
        super().__init__(f"{self.code}: {self.message}")

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class InputError(DocintelError):
    """The input itself is unusable (corrupt, encrypted, too large…): retrying will not help."""

    default_code = "bad_input"


class ServiceUnavailable(DocintelError):
    """A dependency (model server, database) is down or timed out: retrying later may succeed."""

    default_code = "service_unavailable"
    http_status = 503
    retryable = True
