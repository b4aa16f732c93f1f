"""The redacted PDF keeps the pages' look and leaks nothing: no redacted string can be recovered from
it, neither by text extraction nor by OCR of its pages; boxes are painted where the PHI was."""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
from pypdf import PdfReader

from docintel.parsing import read_document
from docintel.parsing.blackout import blacked_out_pages
from docintel.parsing.media_types import PDF, TIFF
from docintel.parsing.ocr import TesseractEngine, installed_languages, read_page
from docintel.redaction.pdf import redacted_page_texts, render_page_pdf
from docintel.redaction.text import redact_text
from tests.conftest import FIXTURES

pytestmark = [
    pytest.mark.skipif("eng" not in installed_languages(),
                       reason="Tesseract's English data is not installed (.ci/run installs it)"),
    pytest.mark.django_db,
]
CONTRACT = FIXTURES / "contracts" / "pdf" / "cuad-0bb03eb953.pdf"


def squeezed(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def extracted_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    document = pypdfium2.PdfDocument(pdf)
    return "\n".join([page.extract_text() for page in reader.pages]
                     + [page.get_textpage().get_text_bounded() for page in document])


def ocr_text(pdf: bytes, pages: int) -> str:
    engine = TesseractEngine()
    document = pypdfium2.PdfDocument(pdf)
    return "\n".join(read_page(engine, document[index].render(scale=300 / 72).to_pil(), (300, 300)).text
                     for index in range(min(pages, len(document))))


def hidden_strings(text: str, page_offsets: list[int], entities: list[dict]) -> list[str]:
    """Redacted strings worth searching for: long enough to mean something, and not also shown
    unredacted elsewhere on the page (a miss of the recognizers is not the renderer's leak)."""
    visible = squeezed(" ".join(redacted_page_texts(text, page_offsets, entities)))
    found = {squeezed(text[entity["start"]:entity["end"]]) for entity in entities}
    return sorted(value for value in found if len(value) >= 5 and value not in visible)


def check_nothing_recoverable(path, media_type, pages_to_ocr=1):
    parsed = read_document(path, media_type)
    entities = redact_text(parsed.text).entity_dicts()
    assert entities
    secrets = hidden_strings(parsed.text, parsed.page_offsets, entities)
    assert secrets
    pdf = render_page_pdf(path, media_type, parsed.text, parsed.page_offsets, parsed.layout, entities,
                          title="redacted")
    extracted = squeezed(extracted_text(pdf))
    assert not [secret for secret in secrets if secret in extracted]
    read_back = squeezed(ocr_text(pdf, pages_to_ocr))
    on_ocr_pages = [secret for secret in secrets if secret in squeezed(parsed.text[:parsed.page_offsets[1]]
                                                                       if parsed.pages > 1 else parsed.text)]
    assert not [secret for secret in on_ocr_pages if secret in read_back]
    # The page still reads: what was not redacted is there (searchable layer and pixels).
    assert len(read_back) > 0.5 * len(squeezed(redacted_page_texts(parsed.text, parsed.page_offsets,
                                                                   entities)[0]))
    rendered = blacked_out_pages(str(path), media_type, parsed.text, parsed.page_offsets, parsed.layout,
                                 [(e["start"], e["end"]) for e in entities], 10**8, 100)
    assert sum(page["boxes"] for page in rendered["pages"]) >= len(secrets)
    return pdf


def test_a_scanned_note_redacted_as_page_images_leaks_nothing(scans):
    pdf = check_nothing_recoverable(scans["clean"], PDF)
    original = PdfReader(scans["clean"]).pages[0].mediabox
    copy = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (copy.width, copy.height) == (pytest.approx(original.width, abs=1),
                                         pytest.approx(original.height, abs=1))  # the page's size kept


def test_a_fax_tiff_redacted_leaks_nothing(scans):
    check_nothing_recoverable(scans["fax.tif"], TIFF)


def test_a_text_pdf_redacted_with_character_boxes_leaks_nothing():
    check_nothing_recoverable(CONTRACT, PDF)
