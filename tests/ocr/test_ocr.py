"""Scanned, faxed and turned pages read by OCR through ``read_document`` (sandbox, Tesseract, merge):
text faithful to the source, word boxes that point at the words, the warnings of contract §8."""

from __future__ import annotations

import json
from io import StringIO

import pypdfium2
import pytest
from django.core.management import call_command
from fpdf import FPDF
from PIL import Image

from docintel.parsing import parse_file, read_document
from docintel.parsing.fidelity import word_similarity
from docintel.parsing.media_types import JPEG, PDF, PNG, TIFF
from docintel.parsing.ocr import installed_languages
from tests.conftest import FIXTURES
from tests.ocr.conftest import scan_fixtures

pytestmark = pytest.mark.skipif("eng" not in installed_languages(),
                                reason="Tesseract's English data is not installed (.ci/run installs it)")


def ocr_warnings(parsed) -> list[dict]:
    return [item for item in parsed.warnings if item["code"] == "ocr"]


def test_a_clean_scan_is_read_with_its_words_and_boxes(scans, reference):
    parsed = read_document(scans["clean"], PDF)
    assert word_similarity(parsed.text, reference) >= 0.97
    assert parsed.layout["ocr_pages"] == [1]
    [note] = ocr_warnings(parsed)
    assert note["page"] == 1 and 0.8 <= note["confidence"] <= 1 and note["message"]
    assert not [item for item in parsed.warnings if item["code"] == "no_text_layer"]
    words = parsed.layout["pages"]["1"]["words"]
    assert len(words) > 50
    for start, end, x0, y0, x1, y1, confidence in words:
        assert parsed.text[start:end].strip() == parsed.text[start:end] != ""
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 and 0 <= confidence <= 1
    # Reading order: the heading is above the signature line.
    first, last = words[0], words[-1]
    assert first[3] < last[3]


def test_a_fax_tiff_and_its_pdf_read_the_same(scans, reference):
    tiff = read_document(scans["fax.tif"], TIFF)
    pdf = read_document(scans["fax"], PDF)
    assert word_similarity(tiff.text, reference) >= 0.9
    assert tiff.text == pdf.text  # the PDF's full-page picture is read at its own 200 x 100 dpi


def test_a_fine_mode_fax_is_read_at_its_own_resolution(scans, reference):
    with Image.open(scans["fax_fine.tif"]) as tiff:
        assert tiff.mode == "1" and tuple(round(value) for value in tiff.info["dpi"]) == (204, 196)
    parsed = read_document(scans["fax_fine.tif"], TIFF)
    assert word_similarity(parsed.text, reference) >= 0.95


def test_a_blank_page_in_a_scan_is_an_empty_page_not_a_failure(scans, reference, tmp_path):
    """The backs of sheets scanned duplex are blank; the engine finding no word used to fail the file."""
    with Image.open(scans["fax.tif"]) as fax:
        page = fax.convert("1")
    blank = Image.new("1", page.size, 1)
    path = tmp_path / "with-blank.tif"
    page.save(path, "TIFF", save_all=True, append_images=[blank], compression="group4", dpi=(200, 100))
    parsed = read_document(path, TIFF)
    assert parsed.pages == 2
    assert word_similarity(parsed.text, reference) >= 0.9
    assert parsed.text[parsed.page_offsets[1]:].strip() == ""


def test_a_page_fed_in_sideways_is_turned_upright(scans, reference):
    parsed = read_document(scans["rotated"], PDF)
    assert word_similarity(parsed.text, reference) >= 0.95
    assert parsed.layout["pages"]["1"]["quarter_turns"] in (1, 2, 3)


def test_a_mixed_pdf_keeps_its_text_page_and_reads_its_scanned_page(mixed_pdf, reference):
    parsed_only = parse_file(mixed_pdf, PDF)
    [gap] = [item for item in parsed_only.warnings if item["code"] == "no_text_layer"]
    assert gap["pages"] == [2]
    parsed = read_document(mixed_pdf, PDF)
    assert parsed.pages == 2
    first_page = parsed.text[:parsed.page_offsets[1]]
    assert "governed by the laws of the State of Delaware" in first_page
    second_page = parsed.text[parsed.page_offsets[1]:]
    assert word_similarity(second_page, reference) >= 0.97
    assert parsed.layout["ocr_pages"] == [2]
    assert all(start >= parsed.page_offsets[1] for start, *_ in parsed.layout["pages"]["2"]["words"])


def test_without_the_configured_language_pages_stay_empty_with_ocr_unavailable(settings, scans):
    settings.OCR_LANGUAGES = "xx_not_installed"
    parsed = read_document(scans["clean"], PDF)
    codes = [item["code"] for item in parsed.warnings]
    assert "ocr_unavailable" in codes and "no_text_layer" in codes
    assert not parsed.text.strip()


def test_parse_command_reports_the_pages_read_by_ocr(tmp_path, scans):
    out = StringIO()
    call_command("parse", str(scans["clean"]), "--out", str(tmp_path), "--json", stdout=out)
    record = json.loads(out.getvalue())
    assert record["ocr_pages"] == [1] and record["pages"] == 1
    assert [w for w in record["warnings"] if w["code"] == "ocr"]
    assert (tmp_path / f"{scans['clean'].stem}.txt").read_text(encoding="utf-8").strip()


def test_a_committed_phone_jpeg_is_read():
    samples = FIXTURES / "scans" / "samples"
    sample = json.loads((samples / "tune-0001-phone.json").read_text(encoding="utf-8"))
    parsed = read_document(samples / "tune-0001-phone.jpg", JPEG)
    assert word_similarity(parsed.text, sample["references"][0]) >= 0.95
    assert parsed.layout["ocr_pages"] == [1]


SMALL_PRINT = (
    "The Distributor may employ or engage representatives or sub-distributors in furtherance of this "
    "Agreement and shall be solely responsible for the payment of wages or commissions to those "
    "representatives. The proposed discount is expected to be 12.5% and may vary depending on the volume "
    "ordered. Either party may terminate this Agreement upon thirty days written notice, without cause. ")


def test_small_print_is_read_whole(tmp_path):
    """Type of 6 pt (18 pixels a word at 300 dpi), scanned: read as it is, the engine drops letters from
    the middle of words (0.975 here, "representatives" lost 3 times in 12); the page is read enlarged."""
    pdf = FPDF(format="letter")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Times", size=6)
    pdf.multi_cell(0, 3, SMALL_PRINT * 6)
    document = pypdfium2.PdfDocument(bytes(pdf.output()))
    rendered = document[0].render(scale=300 / 72, grayscale=True).to_pil()
    document.close()
    scanned, dpi = scan_fixtures.degrade(rendered, "clean", seed=1)
    page = tmp_path / "small-print.png"
    scanned.save(page, dpi=dpi)
    parsed = read_document(page, PNG)
    assert word_similarity(parsed.text, SMALL_PRINT * 6) >= 0.99
    assert parsed.text.count("representatives") == 12
