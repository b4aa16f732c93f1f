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

    @classmethod
    def from_form(cls, code: str, form) -> InputError:
        """One sentence naming each field of an invalid Django form and what is wrong with it."""
        return cls(code, "; ".join(
            " ".join(str(message) for message in messages) if field == "__all__"
            else f"{field}: {' '.join(str(message) for message in messages)}"
            for field, messages in form.errors.items()))


class ServiceUnavailable(DocintelError):
    """A dependency (model server, database) is down or timed out: retrying later may succeed."""

    default_code = "service_unavailable"
    http_status = 503
    retryable = True


class FileTooLarge(InputError):
    """The upload or file is over ``DOCINTEL_MAX_UPLOAD_MB``."""

    default_code = "file_too_large"
    http_status = 413


class UnsupportedType(InputError):
    """Not a file type docintel reads."""

    default_code = "unsupported_type"
    http_status = 415


class NotReady(DocintelError):
    """What was asked for does not exist yet (a stage has not run) or the document is in the wrong
    state for the request (retrying a document that did not fail)."""

    default_code = "not_ready"
    http_status = 409


class Erased(DocintelError):
    """The document was erased (GDPR): only its audit trail remains."""

    default_code = "erased"
    http_status = 410


class StorageFull(DocintelError):
    """The data volume has no room, or is below its free-space reserve: nothing was kept; an operator
    must make room (HTTP 507 Insufficient Storage)."""

    default_code = "storage_full"
    http_status = 507
