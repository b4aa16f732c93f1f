"""Text extraction from originals (PDF, plain text), with page offsets and warnings.

``parse_file`` is the one entry point; it raises ``ParseError`` (an ``InputError``) with a code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from docintel.errors import InputError


class ParseError(InputError):
    default_code = "parse_failed"


@dataclass
class ParsedText:
    text: str
    page_offsets: list[int]  # where each page starts in ``text``
    warnings: list[dict] = field(default_factory=list)  # [{"code", "message"}]

    @property
    def pages(self) -> int:
        return len(self.page_offsets)


def parse_file(path: Path, media_type: str) -> ParsedText:
    # Placeholder until the hardened parser lands: pypdf in-process, plain text as UTF-8.
    if media_type == "text/plain":
        return ParsedText(path.read_bytes().decode("utf-8", errors="replace"), [0])
    from pypdf import PdfReader

    reader = PdfReader(path)
    parts, offsets, position = [], [], 0
    for page in reader.pages:
        offsets.append(position)
        text = (page.extract_text() or "") + "\n"
        parts.append(text)
        position += len(text)
    return ParsedText("".join(parts), offsets)
