"""Page preparation for OCR without the engine: columns told apart from other wide gaps, bolder strokes
that keep the page's geometry, and the metric's few spelling folds."""

from __future__ import annotations

import pypdfium2
import pytest
from fpdf import FPDF
from PIL import Image

from docintel.parsing.fidelity import word_similarity, words
from docintel.parsing.preprocess import enlarged, has_columns, prepare, thickened

SENTENCE = ("The Distributor shall use its commercially reasonable efforts to promote and sell the "
            "Products within the Territory and shall report its sales each quarter. ")


def rendered(draw) -> Image.Image:
    pdf = FPDF(format="letter")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Times", size=10)
    draw(pdf)
    document = pypdfium2.PdfDocument(bytes(pdf.output()))
    try:
        return document[0].render(scale=300 / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()


def two_columns(pdf: FPDF) -> None:
    pdf.cell(0, 8, "Terms and Conditions", align="C", new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y()
    for left in (15, 112):
        pdf.set_xy(left, top)
        pdf.multi_cell(88, 4.5, SENTENCE * 14, align="J")


def cover_page(pdf: FPDF) -> None:
    """Blocks on the left and right of the same lines and a centred title: one column of lines."""
    pdf.set_xy(15, 20)
    pdf.cell(0, 6, "License and Development Agreement", align="C", new_x="LMARGIN", new_y="NEXT")
    for row, (left, right) in enumerate([("NLS-1 Pharma AG", ""), ("Alter Postplatz 2", ""),
                                         ("6370 Stans", ""), ("Switzerland", "\u201cLicensor\u201d"),
                                         ("", "and"), ("Eurofarma S.A.", ""), ("Avenida Diniz 3465", ""),
                                         ("Brazil", "\u201cLicensee\u201d")] * 2):
        pdf.set_xy(15, 40 + 5 * row)
        pdf.cell(80, 5, left)
        pdf.set_xy(120, 40 + 5 * row)
        pdf.cell(80, 5, right.encode("latin-1", "replace").decode("latin-1"), align="R")


def contents_page(pdf: FPDF) -> None:
    """Entries on the left, their page numbers far off on the right."""
    for row in range(30):
        pdf.set_xy(20, 20 + 6 * row)
        pdf.cell(120, 5, f"{row + 1}. Section heading number {row + 1}")
        pdf.set_xy(180, 20 + 6 * row)
        pdf.cell(10, 5, str(row // 3 + 2), align="R")


def test_justified_columns_are_found():
    assert has_columns(rendered(two_columns))
    assert prepare(rendered(two_columns), (300, 300)).columns


@pytest.mark.parametrize("draw", [cover_page, contents_page])
def test_a_cover_page_or_contents_page_is_one_column_of_lines(draw):
    assert not has_columns(rendered(draw))


def test_a_blank_page_has_no_columns():
    assert not has_columns(Image.new("L", (2550, 3300), 255))


def test_bolder_strokes_keep_the_geometry():
    prepared = prepare(rendered(cover_page), (300, 300))
    bolder = thickened(prepared)
    assert bolder.image.size == prepared.image.size
    assert bolder.to_page((100, 100, 400, 200)) == prepared.to_page((100, 100, 400, 200))
    dark = lambda image: sum(image.histogram()[:128])  # noqa: E731
    assert dark(bolder.image) > dark(prepared.image)


def test_an_enlarged_page_keeps_the_geometry():
    """Small type is read on the page enlarged; its word boxes must still land where the words are."""
    prepared = prepare(rendered(cover_page), (300, 300), quarter_turns=1)
    bigger = enlarged(prepared, 1.8)
    assert bigger.image.width == round(prepared.image.width * 1.8)
    box = (100, 100, 400, 200)
    on_bigger = tuple(value * 1.8 for value in box)
    assert bigger.to_page(on_bigger) == pytest.approx(prepared.to_page(box), abs=1e-3)


def test_the_metric_folds_ligatures_and_quote_letters_only():
    assert words("\ufb01nal \u02baParty\u02ba") == ["final", "party"]
    assert word_similarity("the \u201cParties\u201d", "the \u02baParties\u02ba") == 1.0
    assert word_similarity("Laboratorios", "Laborat\u00f3rios") == 0.0  # an accent is text
    assert word_similarity("l1", "11") == 0.0


def test_a_two_page_fax_makes_a_two_page_tiff():
    """The PNG written for the PDF first used to break the TIFF's appended pages."""
    import io

    from tests.ocr.conftest import scan_fixtures

    contract = sorted(scan_fixtures.CONTRACT_FIXTURES.glob("*.pdf"))[0]
    scan = scan_fixtures.contract_scan(contract, "fax", seed=1, pages=2)
    assert len(scan.pages) == 2
    scan.pdf_bytes()
    tiff = Image.open(io.BytesIO(scan.tiff_bytes()))
    assert tiff.n_frames == 2 and tiff.mode == "1"
