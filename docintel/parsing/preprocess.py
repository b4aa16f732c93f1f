"""Page images made ready for OCR, and the way back from the prepared image to the page.

What a scanner, a fax machine or a phone hands over differs from what Tesseract reads best (square
pixels at about 300 dpi, upright, level lines, dark text on light ground). ``prepare`` fixes that in
this order, each step measured on the tuning scans (``fixtures/scans``, ``bench/ocr_bench.py``):

1. grey: colour carries nothing for OCR;
2. resolution: a fax's 200 x 100 dpi pixels are made square and the page brought to 300 dpi
   (``TARGET_DPI``); an image that says nothing about its resolution is assumed a letter-wide page;
3. faxes (nearly pure black and white): smoothed after upscaling, so that the staircase edges and
   speckle of a 1-bit image read as strokes (+0.07 word fidelity on the tuning faxes);
4. sideways pages: the text lines run up the page instead of across (projection profiles; cheap), so
   Tesseract's orientation detection is asked which quarter turn puts them upright;
5. skew: the angle whose row profile is sharpest, found on a quarter-size copy, undone above
   ``MIN_SKEW``: Tesseract copes with a little skew itself, and every rotation blurs a little;
6. columns: whether the text stands in columns side by side (a white gutter down the middle of the
   text), which decides how the engine orders the lines (see ``ocr.TesseractEngine.recognise``).

Upside-down pages look level and are caught after recognition (low confidence: see ``ocr``), and so
are thin type faces (Courier, a light printer) that the engine misreads: ``thickened`` gives it the
page with every stroke a pixel bolder for a second reading; and so is small type (``enlarged``).
``Prepared.to_page`` maps a box on the prepared image back to fractions of the page as it was given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageFilter

TARGET_DPI = 300
LETTER_WIDTH_IN = 8.5
MIN_DPI, MAX_DPI = 70, 1200
MAX_SKEW = 5.0  # degrees searched either way
MIN_SKEW = 0.3  # below this, deskewing costs more (resampling blur) than it gains
# Columns: a gutter at least GUTTER_WIDTH of the text's width, free of ink on all but GUTTER_NOISE of the
# text rows, at least COLUMN_SHARE of the width in from either side, with ink within COLUMN_EDGE of it
# on both sides on COLUMN_ROWS of the rows with text on both sides, which are COLUMN_OVERLAP of all.
GUTTER_WIDTH, GUTTER_NOISE, COLUMN_SHARE = 0.015, 0.03, 0.3
COLUMN_EDGE, COLUMN_ROWS, COLUMN_OVERLAP = 0.04, 0.6, 0.25
COARSE_LINES_DPI = 150  # standard-mode faxes have 98-100 lines an inch, fine mode 196
FAX_SMOOTHING = 1.5  # Gaussian radius in pixels at 300 dpi, for nearly binary pages
_PROFILE_WIDTH = 600  # pixels across the copy on which skew and orientation are measured


@dataclass
class Prepared:
    image: Image.Image  # grey, square pixels, TARGET_DPI, upright and level
    page_size: tuple[int, int]  # (width, height) of the page as given, in its own pixels
    scale: tuple[float, float]  # prepared pixels per given pixel, (x, y), before any turn
    quarter_turns: int  # counter-clockwise quarter turns applied to make the page upright
    skew: float  # degrees (counter-clockwise) the level page was rotated by
    fax: bool
    columns: bool = False  # text in columns side by side
    # A fax in standard mode (under COARSE_LINES_DPI scan lines an inch): strokes lost between its lines
    # turn letters into others, which ``fax_words`` puts right.
    coarse_lines: bool = False
    # Read as one uniform block of text (Tesseract's PSM 6) instead of a column of lines: set by
    # ``ocr.read_page`` when the column reading left much of the page's ink outside its words.
    block: bool = False

    def to_page(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A box (x0, y0, x1, y1) in prepared pixels as fractions of the page as given (0..1, top left)."""
        x0, y0, x1, y1 = box
        corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
        corners = [self._unskew(x, y) for x, y in corners]
        corners = [self._unturn(x, y) for x, y in corners]
        width, height = self.page_size
        xs = [x / self.scale[0] / width for x, _ in corners]
        ys = [y / self.scale[1] / height for _, y in corners]
        clamp = lambda value: min(1.0, max(0.0, value))  # noqa: E731
        return clamp(min(xs)), clamp(min(ys)), clamp(max(xs)), clamp(max(ys))

    def _unskew(self, x: float, y: float) -> tuple[float, float]:
        if not self.skew:
            return x, y
        # ``Image.rotate(angle, expand=True)`` turned the level image about its centre and grew the canvas.
        level_w, level_h = self._turned_size()
        out_w, out_h = self.image.size
        angle = math.radians(self.skew)
        dx, dy = x - out_w / 2, y - out_h / 2
        # Undo a counter-clockwise turn (in image coordinates, y down): rotate the other way.
        rx = dx * math.cos(angle) - dy * math.sin(angle)
        ry = dx * math.sin(angle) + dy * math.cos(angle)
        return rx + level_w / 2, ry + level_h / 2

    def _turned_size(self) -> tuple[float, float]:
        width, height = self.page_size[0] * self.scale[0], self.page_size[1] * self.scale[1]
        return (height, width) if self.quarter_turns % 2 else (width, height)

    def _unturn(self, x: float, y: float) -> tuple[float, float]:
        width, height = self.page_size[0] * self.scale[0], self.page_size[1] * self.scale[1]
        # ``Image.rotate(90, expand=True)`` takes (x, y) of a w-wide image to (y, w - x); undo the last
        # turn first, knowing the width before it.
        for turn in range(self.quarter_turns % 4, 0, -1):
            width_before = width if (turn - 1) % 2 == 0 else height
            x, y = width_before - y, x
        return x, y


def resolution(image: Image.Image) -> tuple[float, float]:
    """The image's (x, y) dots per inch, or a letter-wide page's when it does not say."""
    try:
        x, y = (float(value) for value in image.info["dpi"][:2])
    except (KeyError, TypeError, ValueError, IndexError):
        x = y = 0.0
    if not (MIN_DPI <= x <= MAX_DPI and MIN_DPI <= y <= MAX_DPI):
        guess = min(MAX_DPI, max(MIN_DPI, image.width / LETTER_WIDTH_IN))
        return guess, guess
    return x, y


def is_fax_like(grey: Image.Image) -> bool:
    """Nearly every pixel pure black or pure white: a fax, or a scan made in black-and-white mode."""
    histogram = grey.histogram()
    total = sum(histogram) or 1
    return (sum(histogram[:16]) + sum(histogram[240:])) / total > 0.995


def prepare(image: Image.Image, dpi: tuple[float, float] | None = None, *,
            detect_orientation: Callable[[Image.Image], int] | None = None,
            quarter_turns: int | None = None) -> Prepared:
    """``image`` ready for OCR. ``detect_orientation(image) -> quarter turns`` is asked only when the
    page looks sideways (Tesseract's OSD; costs about 0.7 s a page, so it is not run on every page);
    ``quarter_turns`` given turns the page that way without asking."""
    x_dpi, y_dpi = dpi or resolution(image)
    fax = image.mode == "1"
    grey = image.convert("L")
    fax = fax or is_fax_like(grey)
    scale = (TARGET_DPI / x_dpi, TARGET_DPI / y_dpi)
    size = (max(1, round(image.width * scale[0])), max(1, round(image.height * scale[1])))
    if size != grey.size:
        grey = grey.resize(size, Image.Resampling.BICUBIC)
    scale = (size[0] / image.width, size[1] / image.height)
    if fax:
        grey = grey.filter(ImageFilter.GaussianBlur(FAX_SMOOTHING))
    turns = quarter_turns or 0
    if quarter_turns is None and detect_orientation is not None and looks_sideways(grey):
        turns = detect_orientation(grey)
    turns %= 4
    if turns:
        grey = grey.rotate(90 * turns, expand=True)
    angle = skew_angle(grey)
    if abs(angle) < MIN_SKEW:
        angle = 0.0
    else:
        grey = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return Prepared(grey, (image.width, image.height), scale, turns, angle, fax, has_columns(grey),
                    coarse_lines=fax and y_dpi < COARSE_LINES_DPI)


def thickened(prepared: Prepared) -> Prepared:
    """The page with its strokes a pixel bolder each way (the darkest of each 3 x 3 neighbourhood);
    the geometry is unchanged, so boxes map back to the page the same way."""
    return replace(prepared, image=prepared.image.filter(ImageFilter.MinFilter(3)))


def enlarged(prepared: Prepared, factor: float) -> Prepared:
    """The page ``factor`` times larger (bicubic); boxes on it map back to the page the same way,
    since every step of ``to_page`` scales with it."""
    image = prepared.image
    size = (round(image.width * factor), round(image.height * factor))
    exact = (size[0] / image.width, size[1] / image.height)
    return replace(prepared, image=image.resize(size, Image.Resampling.BICUBIC),
                   scale=(prepared.scale[0] * exact[0], prepared.scale[1] * exact[1]))


def _ink(grey: Image.Image) -> np.ndarray:
    """A small copy of the page as a float mask of dark pixels (1 = ink)."""
    factor = max(1, grey.width // _PROFILE_WIDTH)
    small = grey.reduce(factor) if factor > 1 else grey
    pixels = np.asarray(small, dtype=np.float32)
    threshold = min(160.0, float(pixels.mean()) - 2 * float(pixels.std()) / 3)
    return (pixels < threshold).astype(np.float32)


def _sharpness(profile: np.ndarray) -> float:
    """How much a projection profile jumps between neighbours: lines of text make it jump."""
    return float(np.square(np.diff(profile)).sum())


def looks_sideways(grey: Image.Image) -> bool:
    """Text lines running up the page: the column profile is much sharper than the row profile."""
    ink = _ink(grey)
    if ink.sum() < 50:
        return False
    rows, columns = _sharpness(ink.sum(axis=1)), _sharpness(ink.sum(axis=0))
    return columns > 1.5 * rows


def has_columns(grey: Image.Image) -> bool:
    """Text set in columns: a white gutter runs down the text with a column of text on each side.

    A cover page's blocks left and right, a table of contents' page numbers or a form's labels and
    values leave no such gutter (a centred title crosses it, or one side is narrow), so they are read
    as one column, line by line across the page. So are columns set ragged-right whose lines mostly
    stop short of the gutter (a known gap: only a synthetic justified two-column page was tried).
    """
    ink = _ink(grey)
    text_rows = int(np.count_nonzero(ink.any(axis=1)))
    profile = ink.sum(axis=0)
    inked = np.flatnonzero(profile)
    if text_rows < 10 or inked.size == 0:
        return False
    left, right = int(inked[0]), int(inked[-1])
    width = right - left + 1
    clear = profile <= GUTTER_NOISE * text_rows
    inner_from, inner_to = left + round(COLUMN_SHARE * width), right - round(COLUMN_SHARE * width)
    band = max(2, round(COLUMN_EDGE * width))
    run = 0
    for column in range(inner_from, inner_to + 2):
        if column <= inner_to and clear[column]:
            run += 1
            continue
        if run >= max(2, GUTTER_WIDTH * width):
            # Side by side over a good part of the text, and running text that comes right up to the
            # gutter on both sides on most of those rows.
            start, end = column - run, column
            beside = ink[:, :start].any(axis=1) & ink[:, end:].any(axis=1)
            close = ink[:, start - band:start].any(axis=1) & ink[:, end:end + band].any(axis=1)
            if (np.count_nonzero(beside) >= COLUMN_OVERLAP * text_rows
                    and np.count_nonzero(close) >= COLUMN_ROWS * np.count_nonzero(beside)):
                return True
        run = 0
    return False


def skew_angle(grey: Image.Image) -> float:
    """Degrees (counter-clockwise) to rotate the page by so that its text lines are level."""
    ink = Image.fromarray((_ink(grey) * 255).astype(np.uint8))
    if not np.asarray(ink).any():
        return 0.0

    def score(angle: float) -> float:
        turned = np.asarray(ink.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True), np.float32)
        return _sharpness(turned.sum(axis=1))

    coarse = max((float(angle) for angle in np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5)), key=score)
    fine = max((float(angle) for angle in np.arange(coarse - 0.5, coarse + 0.51, 0.1)), key=score)
    return round(fine, 2)
