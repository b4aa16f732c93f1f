"""Word (DOCX) files: the body's text in reading order (paragraphs and tables as they come).

A DOCX is a zip of XML parts, so it is checked as a zip and as XML before python-docx reads it, in the
sandboxed child like every other upload:
- the zip: at most ``MAX_PARTS`` parts, at most ``max_unpacked_mb`` unpacked in all, and no part that
  unpacks more than ``MAX_RATIO`` times its packed size (``docx_zip_bomb``); the sizes a zip states
  bound what is read (Python's zipfile stops at the stated size and checks the CRC);
- the XML: Word never writes a document type declaration, so a part with one (``<!DOCTYPE``,
  ``<!ENTITY``: entity expansion "billion laughs", external entities) is refused (``docx_unsafe``);
  python-docx's own parser resolves no entities either.
Headers, footers, comments and text boxes are not read: the text is the body a reader reads.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
from docx.table import Table

from .base import ParseError, warning
from .normalize import assemble, normalise_pages

MAX_PARTS = 2000
MAX_RATIO = 200  # XML compresses well (Word's own files stay under 20x); bombs go to thousands
_RATIO_FLOOR = 1024 * 1024  # parts smaller than this unpacked are never bombs, whatever their ratio
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_PART = re.compile(r"\.(xml|rels)$", re.IGNORECASE)


def check_package(data: bytes, max_unpacked_mb: int) -> None:
    """Refuse a DOCX zip that is broken, a bomb, or carries XML declarations Word never writes."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        parts = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ParseError("docx_corrupt", "the file is not a readable Word document") from None
    if len(parts) > MAX_PARTS:
        raise ParseError("docx_zip_bomb", f"the document has more than {MAX_PARTS} parts")
    total = sum(part.file_size for part in parts)
    if total > max_unpacked_mb * 1024 * 1024:
        raise ParseError("docx_zip_bomb", f"the document unpacks to more than {max_unpacked_mb} MB")
    for part in parts:
        if part.file_size > _RATIO_FLOOR and part.file_size > MAX_RATIO * max(1, part.compress_size):
            raise ParseError("docx_zip_bomb", "a part of the document unpacks to far more than its size")
    if "word/document.xml" not in {part.filename for part in parts}:
        raise ParseError("docx_corrupt", "the file is not a Word document (no word/document.xml)")
    for part in parts:
        if _XML_PART.search(part.filename):
            try:
                content = package.read(part)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
                raise ParseError("docx_corrupt", "a part of the document is damaged") from None
            if _DECLARATION.search(_as_utf8(content)):
                raise ParseError("docx_unsafe", "the document's XML declares entities or a document type, "
                                 "which Word never writes")


def _as_utf8(content: bytes) -> bytes:
    """XML in UTF-16 would hide a declaration from a byte search."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return content.decode("utf-16", errors="replace").encode("utf-8")
    return content


def extract_docx(path: str, max_chars: int, max_unpacked_mb: int) -> dict:
    """Text (one page: a DOCX has no fixed pages) and warnings of a Word file, as a dict for the pipe."""
    data = Path(path).read_bytes()
    if not data:
        raise ParseError("empty_file", "the file is empty")
    check_package(data, max_unpacked_mb)
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_lines(block))
            else:
                lines.append(block.text)
    except (ParseError, MemoryError):
        raise
    except Exception:  # python-docx and lxml raise many kinds on broken files; all mean the same to a user
        raise ParseError("docx_corrupt", "the file is damaged and could not be read") from None
    text, offsets = assemble(normalise_pages(["\n".join(lines)]))
    warnings = []
    if len(text) > max_chars:
        text = text[:max_chars]
        warnings.append(warning("truncated", f"the text stops at the limit of {max_chars} characters"))
    return {"text": text, "page_offsets": offsets, "warnings": warnings}


def _table_lines(table) -> list[str]:
    """One line per row, cells separated by a tab (cleaned to a space); nested tables follow their row."""
    lines = []
    for row in table.rows:
        cells, nested, previous = [], [], None
        for cell in row.cells:
            if cell._tc is previous:  # python-docx repeats a merged cell once per grid column it spans
                continue
            previous = cell._tc
            cells.append(" ".join(paragraph.text for paragraph in cell.paragraphs))
            for inner in cell.tables:
                nested.extend(_table_lines(inner))
        lines.append("\t".join(cells))
        lines.extend(nested)
    return lines

