"""Plain-text uploads: decode (UTF-8, byte-order marks, else detected), normalise newlines, drop controls.

Nothing else changes: the text stays the uploader's text, so offsets into it mean the same to them.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from .base import ParsedText, ParseError, warning

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_NEWLINES = re.compile(r"\r\n?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def parse_text(data: bytes, max_chars: int) -> ParsedText:
    if not data:
        raise ParseError("empty_file", "the file is empty")
    text = _CONTROLS.sub("", _NEWLINES.sub("\n", decode(data)))
    warnings = []
    if len(text) > max_chars:
        text = text[:max_chars]
        warnings.append(warning("truncated", f"the text stops at the limit of {max_chars} characters"))
    return ParsedText(text, [0], warnings)


def decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ParseError("not_text", "the file is not text in a recognisable encoding")
    return str(best)
