"""PDF text extraction, meant to run inside the sandboxed child (see ``sandbox``), not in a server.

pypdf is the reference engine; pdfium (pypdfium2) is an optional faster one. Either way pypdf inspects
the file's structure for what a reviewer should know (active content, incremental updates, repairs).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import signal
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pypdfium2
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, LimitReachedError

from .base import ParseError, no_text_layer, page_list, pages_without_text, warning
from .normalize import assemble, normalise_pages

# Actions that run something when the file is opened or touched; text extraction never runs them.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript", "/Launch": "launch actions", "/ImportData": "data import actions",
    "/SubmitForm": "form submission actions", "/Rendition": "media actions",
}
# Active content needs one of these names, unless an object stream or a #-escaped name hides it:
# without any of them in the bytes, the (slower) walk through the structure can be skipped.
_MAYBE_ACTIVE = re.compile(
    rb"/(?:JavaScript|JS|Launch|AA|OpenAction|XFA|ImportData|SubmitForm|Rendition|ObjStm)\b"
    rb"|/[A-Za-z0-9_.+-]{0,30}#[0-9A-Fa-f]{2}")
_EOF = re.compile(rb"%%EOF")
_CATALOG = re.compile(rb"(\d+)\s+(\d+)\s+obj\s*<<(?:(?!endobj).){0,2000}?/Type\s*/Catalog\b", re.DOTALL)
_HEADER_WINDOW = 1024  # readers accept junk before "%PDF-"; so do we, within this many bytes


def extract_pdf(path: str, engine: str, max_pages: int, max_chars: int, pypdf_budget_s: float) -> dict:
    """Text, page offsets and warnings of one PDF, as a dict (it crosses a pipe as JSON).

    pypdf may spend ``pypdf_budget_s`` seconds; a long legitimate file then finishes with pdfium, ten
    times faster and as faithful, instead of failing at the time limit.
    """
    try:
        return _extract(Path(path).read_bytes(), engine, max_pages, max_chars, pypdf_budget_s)
    except (ParseError, MemoryError):
        raise
    except FileNotDecryptedError:
        raise ParseError("pdf_encrypted", "the file is password-protected") from None
    except LimitReachedError:
        raise ParseError("decompression_bomb",
                         "a compressed stream in the file expands beyond the safety limit") from None
    except RecursionError:
        raise ParseError("pdf_corrupt", "the file's structure is nested too deeply") from None
    except Exception:  # pypdf and pdfium raise many kinds on broken files; all mean the same to a user
        raise ParseError("pdf_corrupt", "the file is damaged and could not be read") from None


def _extract(data: bytes, engine: str, max_pages: int, max_chars: int, pypdf_budget_s: float) -> dict:
    if not data:
        raise ParseError("empty_file", "the file is empty")
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise ParseError("not_a_pdf", "the file is not a PDF")
    with _structure_notes() as notes:
        source, reader = _readable(data, max_pages)
        if reader is None:  # pdfium rebuilds some structures that pypdf cannot
            notes.append("pypdf could not read the structure; recovered with pdfium")
        if reader is None or engine == "pdfium":
            page_texts, fallback = _pdfium_pages(source), None
        else:
            page_texts, fallback = _pypdf_pages(reader), lambda: _pdfium_pages(source)
        count = len(page_texts)
        _check_page_count(count, max_pages)
        if not count:
            raise ParseError("pdf_corrupt", "the file has no readable pages")
        texts, unreadable = _read_pages(page_texts, max_chars, fallback=fallback,
                                        fallback_after_s=pypdf_budget_s)
        active = _active_content(reader, data) if _MAYBE_ACTIVE.search(data) else []
    cut = len(texts) < count
    pages = normalise_pages(texts) + [""] * (count - len(texts))
    text, offsets = assemble(pages)
    warnings = _warnings(data, pages[:len(texts)], unreadable=unreadable, notes=notes, active=active)
    if cut or len(text) > max_chars:
        text = text[:max_chars]
        offsets = [min(offset, len(text)) for offset in offsets]
        warnings.append(warning("truncated", f"the text stops at the limit of {max_chars} characters"))
    return {"text": text, "page_offsets": offsets, "warnings": warnings}


PageTexts = list[Callable[[], str]]


def _check_page_count(count: int, max_pages: int) -> None:
    if count > max_pages:
        raise ParseError("too_many_pages", f"the file has {count} pages; the limit is {max_pages}")


def _readable(data: bytes, max_pages: int) -> tuple[bytes, PdfReader | None]:
    """The bytes to read and pypdf's reader for them; a file cut before its trailer gets one appended.

    Without a trailer neither pypdf nor pdfium finds the document's root; with one pointing at the
    catalog, pypdf rebuilds the cross-reference table from the objects that did arrive.
    """
    reader = _pypdf_reader(data, max_pages)
    if reader is None and not _EOF.search(data[-_HEADER_WINDOW:]):
        catalog = _CATALOG.search(data)
        if catalog:
            data += b"\ntrailer\n<< /Root %s %s R >>\nstartxref\n0\n%%%%EOF\n" % catalog.groups()
            reader = _pypdf_reader(data, max_pages)
    return data, reader


def _declared_page_count(reader: PdfReader) -> int:
    """The page count the file states (cheap; may lie, so the real count is checked as well)."""
    with contextlib.suppress(Exception):
        root: Any = reader.trailer["/Root"]  # pypdf's dictionaries, typed loosely in its stubs
        count = root["/Pages"]["/Count"]
        if isinstance(count, int):
            return count
    return 0


def _decrypt(reader: PdfReader) -> None:
    """Open a file encrypted with an empty user password (common: permissions only), or refuse it."""
    try:
        opened = bool(reader.decrypt(""))
    except (LimitReachedError, MemoryError):
        raise
    except Exception:  # a security handler pypdf does not support (certificates, unknown algorithms)
        opened = False
    if not opened:
        raise ParseError("pdf_encrypted", "the file is password-protected")


def _pypdf_reader(data: bytes, max_pages: int) -> PdfReader | None:
    """pypdf's reader with its page tree loaded, or None when the structure is beyond pypdf's repair."""
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            _decrypt(reader)
        _check_page_count(_declared_page_count(reader), max_pages)  # before walking a huge page tree
        len(reader.pages)
        return reader
    except (ParseError, FileNotDecryptedError, LimitReachedError, MemoryError):
        raise
    except Exception:
        return None


def _pypdf_pages(reader: PdfReader) -> PageTexts:
    return [page.extract_text for page in reader.pages]


def _pdfium_pages(data: bytes) -> PageTexts:
    try:
        document = pypdfium2.PdfDocument(data, password="")
    except pypdfium2.PdfiumError as error:
        if error.err_code in (pypdfium2.raw.FPDF_ERR_PASSWORD, pypdfium2.raw.FPDF_ERR_SECURITY):
            raise ParseError("pdf_encrypted", "the file is password-protected") from None
        raise

    def page_text(index: int) -> str:
        page = document[index]
        textpage = page.get_textpage()
        try:
            # pdfium marks a hyphen it joined across a line end as \x02: give it back its line break
            # so that normalisation decides about it as for pypdf.
            return textpage.get_text_bounded().replace("\x02", "-\n")
        finally:
            textpage.close()
            page.close()

    return [functools.partial(page_text, index) for index in range(len(document))]


class _OutOfTime(BaseException):
    """The first engine used up its share of the time limit.

    A BaseException, like KeyboardInterrupt: pypdf swallows ``Exception`` in places and would go on
    with a half-read page.
    """


class _TimeShare:
    """An alarm after ``seconds`` that interrupts only a page being read through ``read``.

    Raising from a signal handler anywhere else could land between two statements of the caller;
    outside ``read`` the alarm just sets ``up``, which the caller checks between pages.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds, self.up, self.in_page = seconds, False, False

    def __enter__(self) -> _TimeShare:
        self.previous = signal.signal(signal.SIGALRM, self._ring)
        if self.seconds is not None:
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc_info) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)

    def _ring(self, signum, frame) -> None:
        self.up = True
        if self.in_page:
            self.in_page = False
            raise _OutOfTime

    def read(self, function: Callable[..., str], *args) -> str:
        self.in_page = True
        try:
            return function(*args)
        finally:
            self.in_page = False


def _read_pages(page_texts: PageTexts, max_chars: int, *, fallback: Callable[[], PageTexts] | None,
                fallback_after_s: float) -> tuple[list[str], list[int]]:
    """Raw text of each page until ``max_chars`` is passed, and the numbers of pages that failed alone.

    A page whose content is broken is left empty and reported; limits and structural errors stop all.
    After ``fallback_after_s`` the page in progress and the rest are read with ``fallback``'s engine.
    """
    texts: list[str] = []
    unreadable: list[int] = []
    total = 0
    with _TimeShare(fallback_after_s if fallback else None) as clock:
        while len(texts) < len(page_texts) and total <= max_chars:
            if clock.up and fallback:
                page_texts, fallback = fallback(), None
            number = len(texts) + 1
            try:
                text = clock.read(_page_text, page_texts[number - 1], number, unreadable)
            except _OutOfTime:
                continue  # read this page again, with the fallback
            texts.append(text)
            total += len(text)
    return texts, unreadable


def _page_text(page_text: Callable[[], str], number: int, unreadable: list[int]) -> str:
    try:
        return page_text() or ""
    except (LimitReachedError, MemoryError, RecursionError):
        raise
    except Exception:
        unreadable.append(number)
        return ""


@contextlib.contextmanager
def _structure_notes() -> Iterator[list[str]]:
    """Collect pypdf's file-structure warnings (broken xref, missing EOF…): the file was repaired.

    Warnings about fonts and content (pypdf's other modules) are no repair and are dropped here.
    """
    notes: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name == "pypdf._reader":
                notes.append(record.getMessage())

    logger = logging.getLogger("pypdf")
    handler, propagate = Collect(logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield notes
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _warnings(data: bytes, pages: list[str], *, unreadable: list[int], notes: list[str],
              active: list[str]) -> list[dict]:
    warnings = []
    empty = [number for number in pages_without_text(pages) if number not in unreadable]
    if empty:
        warnings.append(no_text_layer(empty, len(pages)))
    if notes or unreadable:
        detail = f"; the text of pages {page_list(unreadable)} could not be recovered" if unreadable else ""
        warnings.append(warning("repaired", f"the file is damaged and was read in recovery mode{detail}"))
    if active:
        warnings.append(warning("active_content", f"the file contains {', '.join(active)} (never run)"))
    updates = _incremental_updates(data)
    if updates:
        warnings.append(warning("incremental_updates", f"the file was changed {updates} time(s) after it was "
                                "first saved; earlier versions may remain inside it"))
    if not _EOF.search(data[-_HEADER_WINDOW:]):
        warnings.append(warning("truncated", "the file ends early (no end-of-file marker); text may be lost"))
    return warnings


def _incremental_updates(data: bytes) -> int:
    """Revisions appended after the first save; a linearized file legitimately has two sections."""
    sections = len(_EOF.findall(data))
    linearized = b"/Linearized" in data[:_HEADER_WINDOW]
    return max(0, sections - 1 - int(linearized))


def _active_content(reader: PdfReader | None, data: bytes) -> list[str]:
    """Kinds of active content (JavaScript, launch actions…) anywhere a viewer would trigger them."""
    if reader is None:  # no structure to walk: name what the bytes show
        return sorted({kind for name, kind in _ACTIVE_ACTIONS.items() if name.encode() in data})
    found: set[str] = set()
    with contextlib.suppress(Exception):  # a damaged structure must not fail the parse
        root: Any = reader.trailer["/Root"].get_object()
        names = _resolve(root.get("/Names"))
        if names is not None and "/JavaScript" in names:
            found.add("JavaScript")
        _collect_actions(root.get("/OpenAction"), found)
        _collect_additional_actions(root.get("/AA"), found)
        form = _resolve(root.get("/AcroForm"))
        if form is not None and "/XFA" in form:
            found.add("XFA forms")
        for page in reader.pages:
            _collect_additional_actions(page.get("/AA"), found)
            for annotation in _resolve(page.get("/Annots")) or []:
                annotation = _resolve(annotation)
                _collect_actions(annotation.get("/A"), found)
                _collect_additional_actions(annotation.get("/AA"), found)
    return sorted(found)


def _collect_actions(action, found: set[str], depth: int = 0) -> None:
    action = _resolve(action)
    if not hasattr(action, "get") or depth > 20:
        return
    kind = _ACTIVE_ACTIONS.get(action.get("/S"))
    if kind:
        found.add(kind)
    chained = _resolve(action.get("/Next"))
    for step in chained if isinstance(chained, list) else [chained]:
        _collect_actions(step, found, depth + 1)


def _collect_additional_actions(triggers, found: set[str]) -> None:
    triggers = _resolve(triggers)
    if hasattr(triggers, "values"):
        for action in triggers.values():
            _collect_actions(action, found)


def _resolve(value):
    return value.get_object() if hasattr(value, "get_object") else value
