"""What a parse returns, and how it fails."""

from __future__ import annotations

from dataclasses import dataclass, field

from docintel.errors import InputError


class ParseError(InputError):
    """The file cannot be turned into text: the code says why (``pdf_encrypted``, ``parse_timeout``…)."""

    default_code = "parse_failed"


@dataclass
class ParsedText:
    text: str
    page_offsets: list[int]  # where each page starts in ``text``
    warnings: list[dict] = field(default_factory=list)  # [{"code", "message"}]

    @property
    def pages(self) -> int:
        return len(self.page_offsets)


def warning(code: str, message: str) -> dict:
    return {"code": code, "message": message}
