"""Words put right after recognition: a standard-mode fax's confused letters (``fax_words``) and the
points of clause numbers (``ocr.with_decimal_points``), on real word lists and rendered pages."""

from __future__ import annotations

import numpy as np
import pypdfium2
import pytest
from fpdf import FPDF
from PIL import Image

from docintel.parsing import fax_words
from docintel.parsing.ocr import (
    RecognisedWord,
    ink_outside_words,
    read_page,
    with_decimal_points,
    with_list_numbers,
)
from docintel.parsing.preprocess import TARGET_DPI


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("cach", "each"),
        ("und", "and"),
        ("Lhe", "The"),
        ("lo", "to"),
        ("hy", "by"),
        ("Agrcement,", "Agreement,"),
        ("dircetly", "directly"),
        ("AGREFMENT", "AGREEMENT"),
        ("shatl", "shall"),
    ],
)
def test_letters_a_fax_confuses_are_put_right(read, meant):
    assert fax_words.corrected(read) == meant


@pytest.mark.parametrize(
    "word",
    [
        "agreement",
        "each",
        "(ii)",
        "Kong",
        "Haus",
        "NETGEAR",
        "2.2",
        "o",
        "of",
        "Smith,",
        "co-operate",
        "Jones,",
        "Dubois",
        "OLIVIA",
        "April",
        "LOPEZ",
        "Francois",
        "HR",
        "NP",
        "MR#:",
    ],
)
def test_words_names_abbreviations_and_numbers_are_left_alone(word):
    """Words already English, names, places and months ("Dubois" would become "Dubais"), roman numerals
    in brackets, short capitalised words, abbreviations ("HR" would become "HE"), numbers, single
    letters and hyphenated words stay as read."""
    assert fax_words.corrected(word) == word


def test_a_tie_between_two_words_is_not_broken():
    """A fax's "ot" is "at" or "of": nothing says which, so it stays."""
    assert fax_words.corrected("ot") == "ot"


def _rendered(text: str) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """``text`` in 11 pt Times at 300 dpi, and the box around its ink."""
    pdf = FPDF(format=(200, 60), unit="pt")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Times", size=11)
    pdf.set_xy(20, 20)
    pdf.cell(text=text)
    document = pypdfium2.PdfDocument(bytes(pdf.output()))
    image = document[0].render(scale=TARGET_DPI / 72, grayscale=True).to_pil().convert("L")
    document.close()
    rows, columns = np.nonzero(np.asarray(image) < 128)
    return image, (int(columns.min()), int(rows.min()), int(columns.max()), int(rows.max()))


def _word(text: str, box: tuple[int, int, int, int], first: bool = True) -> RecognisedWord:
    return RecognisedWord(text=text, box=box, confidence=0.9, starts_line=first, starts_paragraph=False)


@pytest.mark.parametrize(
    ("printed", "read", "fixed"),
    [
        ("3.4.", "34.", "3.4."),
        ("14.2", "142", "14.2"),
        ("10.12.", "1012", "10.12"),
    ],
)
def test_a_point_the_page_shows_goes_back_into_the_number(printed, read, fixed):
    image, box = _rendered(printed)
    assert with_decimal_points([_word(read, box)], image)[0].text == fixed


@pytest.mark.parametrize(("printed", "read"), [("1,000", "1000"), ("2024", "2024"), ("34", "34")])
def test_a_comma_or_no_point_adds_none(printed, read):
    image, box = _rendered(printed)
    assert with_decimal_points([_word(read, box)], image)[0].text == read


def test_a_fax_gets_no_point_its_speckle_could_fake():
    """A speck between two digits of a fax looks like a point: numbers on faxes stay as read."""
    image, box = _rendered("3.4.")

    class ReadsANumber(ReadsAsAFaxDoes):
        def recognise(self, image: Image.Image, columns: bool = False,
                      block: bool = False) -> list[RecognisedWord]:
            return [_word("34.", box)]

    # Scanned paper: off-white with noise, not the pure black and white of a fax.
    noise = np.random.default_rng(1).normal(0, 4, (image.height, image.width))
    paper = np.asarray(image, np.float32) * 0.8 + 20 + noise
    scanned = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8))
    assert read_page(ReadsANumber(), scanned, (300, 300)).text == "3.4."
    fax = image.point(lambda level: 255 if level > 128 else 0).convert("1")
    assert read_page(ReadsANumber(), fax, (300, 300)).text == "34."


def test_an_underlined_clause_number_gets_its_point():
    """Contents pages underline their entries; the rule under "3.4." joins its glyphs' columns."""
    image, (x0, y0, x1, y1) = _rendered("3.4.")
    pixels = np.asarray(image).copy()
    pixels[y1 + 4 : y1 + 7, x0 - 2 : x1 + 3] = 0
    underlined = Image.fromarray(pixels)
    assert with_decimal_points([_word("34.", (x0 - 2, y0, x1 + 2, y1 + 7))], underlined)[0].text == "3.4."


class ReadsAsAFaxDoes:
    """An engine that reads what a standard-mode fax of "each party and the Agreement" gave Tesseract."""

    name = "fax-reader"

    def __init__(self, languages: str = "eng") -> None:
        self.languages = languages

    def recognise(self, image: Image.Image, columns: bool = False,
                      block: bool = False) -> list[RecognisedWord]:
        return [
            _word(text, (100 + 200 * index, 100, 180 + 200 * index, 130), first=index == 0)
            for index, text in enumerate(["cach", "party", "und", "Lhe", "Agrcement"])
        ]

    def orientation(self, image: Image.Image) -> int:
        return 0


def _fax_page(dpi: tuple[int, int]) -> Image.Image:
    """A black-and-white page with a line of ink on it, at ``dpi``."""
    width, height = round(8.5 * dpi[0]), round(11 * dpi[1])
    pixels = np.full((height, width), 255, np.uint8)
    pixels[height // 4 : height // 4 + 3, width // 8 : width // 2] = 0
    return Image.fromarray(pixels).convert("1")


def test_a_standard_mode_fax_read_in_english_has_its_letters_put_right():
    page = read_page(ReadsAsAFaxDoes(), _fax_page((200, 100)), (200, 100))
    assert page.text == "each party and The Agreement"
    assert [end - start for start, end, *_ in page.words] == [4, 5, 3, 3, 9]


@pytest.mark.parametrize(("languages", "dpi"), [("eng", (204, 196)), ("eng+deu", (200, 100))])
def test_fine_mode_faxes_and_other_languages_keep_the_words_as_read(languages, dpi):
    """Fine mode loses no strokes between its lines; in German "und" is a word."""
    page = read_page(ReadsAsAFaxDoes(languages), _fax_page(dpi), dpi)
    assert page.text == "cach party und Lhe Agrcement"


def _lines(*lines: str) -> list[RecognisedWord]:
    """Words of a page, line by line (boxes do not matter to the numbers)."""
    words = []
    for row, line in enumerate(lines):
        for column, text in enumerate(line.split()):
            box = (100 * column, 40 * row, 100 * column + 80, 40 * row + 30)
            words.append(_word(text, box, first=column == 0))
    return words


def test_page_and_list_numbers_read_as_letters_become_digits():
    """A contents page: "11" read "ll" at the end of a line, "11." read "il." at its start, where the
    other lines show page and list numbers."""
    words = _lines("1. Definitions 3", "2. Term 4", "3. Grant of Licence 4", "10. Authority ll",
                   "il. Severability il", "12. Notices 11")
    texts = [word.text for word in with_list_numbers(words)]
    assert texts[-9:] == ["10.", "Authority", "11", "11.", "Severability", "11", "12.", "Notices", "11"]
    assert "ll" not in texts and "il" not in texts and "il." not in texts


@pytest.mark.parametrize(
    "lines",
    [
        # No column of numbers on the page: a lone "ll" is not known to be one.
        ("The parties agree as follows ll", "and so on"),
        # Roman numerals have no l: "ii" and "II" stay.
        ("1. Term 3", "2. Grant 4", "3. Fees 5", "ii. Payment ii", "II. Audit II"),
        # Three letters are a word or a numeral, not one of these numbers.
        ("1. Term 3", "2. Grant 4", "3. Fees 5", "Ill health lll"),
    ],
)
def test_letters_elsewhere_stay_letters(lines):
    words = _lines(*lines)
    assert [word.text for word in with_list_numbers(words)] == [word.text for word in words]


def test_ink_outside_words_is_what_the_reading_left_out():
    pixels = np.full((400, 400), 255, np.uint8)
    pixels[50:70, 50:150] = 0  # a word read
    pixels[150:170, 50:150] = 0  # a line the reading dropped
    page = Image.fromarray(pixels)
    assert ink_outside_words([_word("read", (50, 50, 149, 69))], page) == pytest.approx(0.5)
    assert ink_outside_words([], page) == 1.0
    assert ink_outside_words([], Image.new("L", (50, 50), 255)) == 0.0


class DropsLinesInColumns(ReadsAsAFaxDoes):
    """An engine that, read as a column of lines, returns only the first of a page's two lines, and
    read as one block returns both (as Tesseract did on an underlined contents page sent by fax)."""

    def recognise(self, image: Image.Image, columns: bool = False,
                  block: bool = False) -> list[RecognisedWord]:
        words = [_word("Definitions", (100, 100, 600, 140)), _word("3", (2200, 100, 2240, 140), first=False)]
        if block:
            words += [_word("Term", (100, 200, 600, 240)), _word("4", (2200, 200, 2240, 240), first=False)]
        return words


def test_a_page_whose_lines_were_dropped_is_read_again_as_one_block():
    pixels = np.full((3300, 2550), 230, np.uint8)
    for top in (100, 200):
        pixels[top:top + 40, 100:600] = 20
        pixels[top:top + 40, 2200:2240] = 20
    page = read_page(DropsLinesInColumns(), Image.fromarray(pixels), (300, 300))
    assert page.text == "Definitions 3\nTerm 4"
