"""What kind of file an original is, decided by its content (an uploader controls the name)."""

from __future__ import annotations

import mimetypes

from docintel.errors import UnsupportedType

PDF = "application/pdf"
TEXT = "text/plain"


def detect_media_type(filename: str, head: bytes) -> str:
    """The media type of a file from its first bytes (8 KiB are enough), by extension only to accept a
    file that claims to be a PDF so that the parser can say what is wrong with it."""
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return PDF
    guessed, _ = mimetypes.guess_type(filename)
    if guessed == PDF:
        return PDF
    if b"\x00" in head[:8192]:
        raise UnsupportedType(message="only PDF and plain-text files are accepted")
    return TEXT
