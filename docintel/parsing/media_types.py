"""What kind of file an original is, decided by its content (an uploader controls the name).

Magic numbers first (PDF, PNG, JPEG, TIFF, zip); the name decides only between look-alikes: a zip is
accepted as a Word file when it is named ``.docx`` (its parts are checked when it is parsed), a file
that claims to be a PDF goes to the PDF parser (which says what is wrong with it), and anything else
without NUL bytes is plain text.
"""

from __future__ import annotations

import mimetypes

from docintel.errors import UnsupportedType

PDF = "application/pdf"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TIFF, PNG, JPEG = "image/tiff", "image/png", "image/jpeg"
IMAGE_MEDIA_TYPES = frozenset({TIFF, PNG, JPEG})
ACCEPTED_MEDIA_TYPES = frozenset({PDF, TEXT, DOCX, *IMAGE_MEDIA_TYPES})
ACCEPTED = "only PDF, plain-text, Word (.docx), TIFF, PNG and JPEG files are accepted"

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF), (b"MM\x00*", TIFF),
    (b"II+\x00", TIFF), (b"MM\x00+", TIFF),  # BigTIFF: the image reader refuses it with a code
)
_ZIP = b"PK\x03\x04"


def detect_media_type(filename: str, head: bytes) -> str:
    """The media type of a file from its first bytes (8 KiB are enough)."""
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return PDF
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    guessed, _ = mimetypes.guess_type(filename)
    if head.startswith(_ZIP):
        if filename.lower().endswith(".docx"):
            return DOCX
        raise UnsupportedType(message=ACCEPTED)
    if guessed == PDF:
        return PDF
    if b"\x00" in head[:8192]:
        raise UnsupportedType(message=ACCEPTED)
    return TEXT
