"""OCR of page images: text with word boxes and confidences, laid out like parsed text.

The engine is Tesseract (the field standard; Debian's language packs) through tesserocr, its C API
in-process: no temporary files and no subprocess, so it runs inside the parse sandbox (which forbids
writing files) and one process holds one model per thread. Pages run in parallel threads (tesserocr
releases the GIL while it recognises), each Tesseract limited to one OpenMP thread: on 2 cores one
page with Tesseract's default threads took 15 s, one thread per page 1.6 s.

An engine is anything with ``recognise`` and ``orientation`` (``OcrEngine``); ``bench/ocr_bench.py``
compares others on the same pages. ``read_pages`` is the entry point: images in, ``OcrPage``s out.
What the engine reads is mended where the page shows it misread (``recognised``): the points of clause
numbers on grey pages (``with_decimal_points``), page and list numbers read as letters ("ll" for "11")
where the page's other lines show numbers (``with_list_numbers``), and on standard-mode faxes the
letters their coarse scan lines confuse (``fax_words``). A page whose reading left much of its ink
outside every word is read again as one block (``ink_outside_words``).

Every page's text is built from its words (a space between words, a newline between lines, a blank
line between paragraphs), so each word's offsets into the page text are exact; the word boxes are
fractions of the page as given (0..1, from the top left), ready to be drawn on any rendering of it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

# Read by OpenMP when Tesseract's library loads, so set before the import below; a deployment may
# choose otherwise in the environment.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import numpy as np
from PIL import Image

from . import fax_words
from .normalize import LIGATURES
from .preprocess import TARGET_DPI, Prepared, enlarged, prepare, thickened

try:
    import tesserocr
except ImportError:  # the quick start works without it: pages that need OCR get ``ocr_unavailable``
    tesserocr = None

# Where Debian, Fedora and source builds put the language data; TESSDATA_PREFIX comes first.
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")
# Below this mean confidence a page may be upside down (it still looks level): ask which way is up.
DOUBTFUL_CONFIDENCE = 0.6
# Below this mean confidence a grey page is read a second time with bolder strokes, and the reading
# with the higher confidence kept: thin faces such as Courier lose digits and decimal points ("11.2"
# read "1102"). On the tuning scans: notes 0.982 -> 0.986 word fidelity, contracts unchanged (none of
# them below it), 7 of 78 pages read twice. Bolder strokes everywhere instead cost contracts in small
# type 0.02 (their counters close up).
THIN_CONFIDENCE = 0.9
# Small type: Tesseract's recogniser drops letters from the middle of words ("representatives" read
# "rep ives", "discount" "di") when the type is small in pixels. A page whose words (of four or more
# letters) are under SMALL_TYPE_PX high at the median (type of about 7 pt at 300 dpi; body text of
# 10-12 pt measures 28-34) is read again enlarged to TYPE_PX, at most MAX_ENLARGEMENT times, and that
# reading kept. Tuning contracts (68 pages, up to 4 of each of 20): 9 pages of 3 contracts enlarged,
# 0.9906 -> 0.9957 word fidelity on those (8 better, 1 by 0.0006 worse), the page of 6 pt type 0.970
# -> 0.987; tuning notes and faxes unchanged. Enlarging every page instead (an earlier round): +0.0006
# for 1.5-2 x the CPU.
SMALL_TYPE_PX, TYPE_PX, MAX_ENLARGEMENT = 22, 30, 2.0
MIN_MEASURED_WORDS = 10  # fewer long words than this say nothing reliable about the type size
# Lines the column reading (PSM 4) dropped: on an underlined table of contents sent by fax it returned
# words on a third of the lines, leaving 55 % of the page's ink outside every word (0.32 word fidelity;
# every other tuning page, clean or fax, leaves at most 5 %). A page leaving more than MAX_INK_OUTSIDE
# of its ink outside its words is read again as one uniform block (PSM 6), and the reading that
# accounts for more of the ink kept, unless it is less sure by more than BLOCK_CONFIDENCE_SLACK.
MAX_INK_OUTSIDE, BLOCK_CONFIDENCE_SLACK, WORD_PADDING_PX = 0.15, 0.05, 3
# Punctuation-only "words" below this confidence are specks of dirt, not text.
SPECK_CONFIDENCE = 0.5


# Clause and section numbers ("3.4", "10.2") whose point Tesseract dropped ("34"): see
# ``with_decimal_points``.
_NUMBER = re.compile(r"^(\d{2,})([.,;:)]?)$")
# A point: a run of ink columns no wider than POINT_BAND of the digits' height, all of it in the bottom
# POINT_BAND of their height (dark: under INK_LEVEL).
POINT_BAND, INK_LEVEL = 0.3, 128
UNDERLINE_FILL = 0.7  # a row of the word's box this full of ink is a rule under it, not type
# Page and list numbers read as letters: "11" read "ll" or "il" at the end of a contents line (6 times
# on 24 tuning contract pages), "11." read "il." at the start of a numbered line. A word of one or two
# of the letters 1, l, I, i and | with an l or a | among them (roman numerals have neither, and "ll" is
# no English word) becomes digits where a number stands: last on its line with at least
# NUMBERED_LINES other lines of the page ending in a number, or first on its line, with a point or
# bracket after it, with at least NUMBERED_LINES other lines starting with such a number.
_ONE_LIKE = re.compile(r"^([1lIi|]{1,2})([.)]?)$")
_PAGE_NUMBER = re.compile(r"^\d{1,4}$")
_LIST_NUMBER = re.compile(r"^\(?\d{1,3}(\.\d{1,3})*[.)]$")
NUMBERED_LINES = 3


class OcrUnavailable(Exception):
    """No OCR engine (or none of the configured languages) is installed here."""


@dataclass
class RecognisedWord:
    text: str
    box: tuple[float, float, float, float]  # pixels of the image that was recognised
    confidence: float  # 0..1
    starts_line: bool
    starts_paragraph: bool


class OcrEngine(Protocol):
    name: str
    languages: str  # Tesseract's spelling: "eng", "eng+deu"

    def recognise(self, image: Image.Image, columns: bool = False,
                  block: bool = False) -> list[RecognisedWord]:
        """Words of a prepared page (grey, upright, ``TARGET_DPI``) in reading order; ``columns``: the
        text stands in columns side by side (read column by column), else line by line across;
        ``block``: read the page as one uniform block of text lines."""
        ...

    def orientation(self, image: Image.Image) -> int:
        """Counter-clockwise quarter turns that make the page upright."""
        ...


@dataclass
class OcrPage:
    text: str
    # [start, end, x0, y0, x1, y1, confidence]: offsets into ``text``, box as fractions of the page
    words: list[list[float]] = field(default_factory=list)
    confidence: float = 0.0  # mean word confidence, weighted by word length
    quarter_turns: int = 0
    skew: float = 0.0

    def placed(self, left: float, top: float, right: float, bottom: float) -> OcrPage:
        """This page's boxes for a picture that covers only (left, top, right, bottom) of the page."""
        if (left, top, right, bottom) == (0.0, 0.0, 1.0, 1.0):
            return self
        width, height = right - left, bottom - top
        words = [[start, end, round(left + x0 * width, 5), round(top + y0 * height, 5),
                  round(left + x1 * width, 5), round(top + y1 * height, 5), confidence]
                 for start, end, x0, y0, x1, y1, confidence in self.words]
        return OcrPage(self.text, words, self.confidence, self.quarter_turns, self.skew)

    def as_dict(self) -> dict:
        return {"text": self.text, "words": self.words, "confidence": self.confidence,
                "quarter_turns": self.quarter_turns, "skew": self.skew}


def tessdata_dir() -> Path | None:
    candidates = [os.environ.get("TESSDATA_PREFIX", ""), *TESSDATA_DIRS]
    for candidate in candidates:
        if candidate and any(Path(candidate).glob("*.traineddata")):
            return Path(candidate)
    return None


def installed_languages() -> list[str]:
    folder = tessdata_dir()
    if tesserocr is None or folder is None:
        return []
    return sorted(path.stem for path in folder.glob("*.traineddata") if path.stem != "osd")


class TesseractEngine:
    """Tesseract 5 (LSTM), one ``PyTessBaseAPI`` per thread, one OpenMP thread each."""

    name = "tesseract"

    def __init__(self, languages: Iterable[str] = ("eng",)) -> None:
        folder = tessdata_dir()
        wanted = [language for language in languages if language]
        usable = [language for language in wanted if language in installed_languages()]
        if tesserocr is None or folder is None or not usable:
            raise OcrUnavailable(f"no OCR engine with the languages {'+'.join(wanted) or 'eng'} is installed")
        self.tessdata = str(folder) + "/"
        self.languages = "+".join(usable)
        self.has_osd = (folder / "osd.traineddata").exists()
        self._local = threading.local()

    def _api(self, kind: str = "text"):
        api = getattr(self._local, kind, None)
        if api is None:
            if kind == "osd":
                api = tesserocr.PyTessBaseAPI(path=self.tessdata, lang="osd", psm=tesserocr.PSM.OSD_ONLY)
            else:
                api = tesserocr.PyTessBaseAPI(path=self.tessdata, lang=self.languages, psm=tesserocr.PSM.AUTO)
            setattr(self._local, kind, api)
        return api

    def recognise(self, image: Image.Image, columns: bool = False,
                  block: bool = False) -> list[RecognisedWord]:
        api = self._api()
        # Tesseract's automatic layout splits a page into blocks and reads them one after another: a
        # party block on the right of a cover page, or a table of contents' page numbers, came after
        # everything on their left (0.55 word fidelity on a tuning contents page). As one column of
        # lines it reads across the page as a person does (+0.010 on the tuning contracts, none lost);
        # text truly in columns keeps the automatic layout, which follows each column down.
        # ``block`` (PSM 6) is the fallback for pages whose lines the column reading dropped: see
        # ``ink_outside_words``.
        api.SetPageSegMode(tesserocr.PSM.SINGLE_BLOCK if block
                           else tesserocr.PSM.AUTO if columns else tesserocr.PSM.SINGLE_COLUMN)
        api.SetImage(image)
        api.SetSourceResolution(TARGET_DPI)
        api.Recognize()
        words = []
        level = tesserocr.RIL.WORD
        for item in tesserocr.iterate_level(api.GetIterator(), level):
            try:
                text = item.GetUTF8Text(level)
            except RuntimeError:  # a blank page: tesserocr raises where the C API returns no text
                continue
            box = item.BoundingBox(level)
            if not text or not box:
                continue
            words.append(RecognisedWord(
                text=text, box=box, confidence=max(0.0, item.Confidence(level)) / 100,
                starts_line=item.IsAtBeginningOf(tesserocr.RIL.TEXTLINE),
                starts_paragraph=item.IsAtBeginningOf(tesserocr.RIL.PARA)))
        api.Clear()
        return words

    def orientation(self, image: Image.Image) -> int:
        if not self.has_osd:
            return 0
        api = self._api("osd")
        api.SetImage(image)
        api.SetSourceResolution(TARGET_DPI)
        try:
            found = api.DetectOrientationScript()
        except RuntimeError:  # too little text to tell
            return 0
        finally:
            api.Clear()
        return (found or {}).get("orient_deg", 0) // 90


def with_decimal_points(words: list[RecognisedWord], image: Image.Image) -> list[RecognisedWord]:
    """Numbers read without the point that the page shows between two of their digits, with it.

    Tesseract's recogniser drops the point of clause numbers on clean scans ("2.2" read "22": 16 times
    on 24 tuning contract pages), and its character boxes are no help (the LSTM gives the second digit
    the whole word's box). So the word's own ink is read: its columns of ink fall into runs, one per
    glyph at 300 dpi; a run that is small and sits on the baseline is a point. When the runs that are
    not points are as many as the digits read, a point between two of them goes back in. A comma (a
    tail below the baseline) is not a point.
    """
    ink = np.asarray(image.convert("L")) < INK_LEVEL
    return [_with_points(word, ink) if _NUMBER.match(word.text) else word for word in words]


def _with_points(word: RecognisedWord, ink: np.ndarray) -> RecognisedWord:
    match = _NUMBER.match(word.text)
    assert match is not None
    digits, after = match.groups()
    x0, y0, x1, y1 = (int(value) for value in word.box)
    box = ink[y0:y1 + 1, x0:x1 + 1].copy()
    box[box.mean(axis=1) > UNDERLINE_FILL] = False  # an underline would join every glyph into one run
    columns: list[bool] = np.any(box, axis=0).tolist()
    runs: list[tuple[int, int]] = []
    start = None
    for index, filled in enumerate([*columns, False]):
        if filled and start is None:
            start = index
        elif not filled and start is not None:
            runs.append((start, index))
            start = None
    rows = [np.flatnonzero(box[:, a:b].any(axis=1)) for a, b in runs]
    tall = [(r[-1] - r[0] + 1) for r in rows]
    height = max(tall, default=0)
    if height < 8:
        return word
    baseline = int(np.median([r[-1] for r, t in zip(rows, tall, strict=True) if t > height / 2]))
    kinds = []
    for (a, b), r in zip(runs, rows, strict=True):
        if r[0] >= baseline - POINT_BAND * height and b - a <= POINT_BAND * height:
            kinds.append("." if r[-1] <= baseline + 2 else ",")
        else:
            kinds.append("glyph")
    if kinds.count("glyph") != len(digits):
        return word
    text, seen = "", 0
    for index, kind in enumerate(kinds):
        if kind == "glyph":
            text += digits[seen]
            seen += 1
        elif kind == "." and 0 < seen < len(digits) and kinds[index - 1] == "glyph":
            text += "."
    if text == digits:
        return word
    return replace(word, text=text + after)


def ink_outside_words(words: list[RecognisedWord], image: Image.Image) -> float:
    """The share of the page's ink (dark pixels) that lies outside every word's box (padded a little):
    text the engine did not read, or rules, pictures and speckle."""
    ink = np.asarray(image.convert("L")) < INK_LEVEL
    total = int(np.count_nonzero(ink))
    if not total:
        return 0.0
    inside = np.zeros_like(ink)
    pad = WORD_PADDING_PX
    for word in words:
        x0, y0, x1, y1 = (int(value) for value in word.box)
        inside[max(0, y0 - pad):y1 + pad + 1, max(0, x0 - pad):x1 + pad + 1] = True
    return 1.0 - int(np.count_nonzero(ink & inside)) / total


def with_list_numbers(words: list[RecognisedWord]) -> list[RecognisedWord]:
    """Page and list numbers that the engine read as the letters l, I, i or | put back as digits
    (see ``_ONE_LIKE``): only where the page's other lines show numbers in the same place."""
    if not any(_ONE_LIKE.match(word.text) for word in words):
        return words
    firsts = [index for index, word in enumerate(words) if index == 0 or word.starts_line]
    lasts = [index - 1 for index in firsts[1:]] + ([len(words) - 1] if words else [])
    ending = sum(bool(_PAGE_NUMBER.match(words[index].text)) for index in lasts)
    starting = sum(bool(_LIST_NUMBER.match(words[index].text)) for index in firsts)
    mended = list(words)
    for index in lasts:
        if ending >= NUMBERED_LINES and _one_like(words[index].text, point=False):
            mended[index] = replace(words[index], text=_as_digits(words[index].text))
    for index in firsts:
        if starting >= NUMBERED_LINES and _one_like(words[index].text, point=True):
            mended[index] = replace(words[index], text=_as_digits(words[index].text))
    return mended


def _one_like(text: str, point: bool) -> bool:
    match = _ONE_LIKE.match(text)
    return bool(match and ("l" in match.group(1) or "|" in match.group(1)) and bool(match.group(2)) == point)


def _as_digits(text: str) -> str:
    return re.sub(r"[lIi|]", "1", text)


def layout_text(words: list[RecognisedWord], prepared: Prepared) -> OcrPage:
    """The page's text from its words, each word's offsets and page box, and the page's confidence."""
    parts: list[str] = []
    boxes: list[list[float]] = []
    position = 0
    weighted = weight = 0.0
    for word in words:
        text = _clean(word.text)
        if not text or (not any(ch.isalnum() for ch in text) and word.confidence < SPECK_CONFIDENCE):
            continue
        if parts:
            gap = "\n\n" if word.starts_paragraph else "\n" if word.starts_line else " "
            parts.append(gap)
            position += len(gap)
        parts.append(text)
        x0, y0, x1, y1 = prepared.to_page(word.box)
        boxes.append([position, position + len(text), round(x0, 5), round(y0, 5), round(x1, 5),
                      round(y1, 5), round(word.confidence, 3)])
        position += len(text)
        weighted += word.confidence * len(text)
        weight += len(text)
    confidence = round(weighted / weight, 3) if weight else 0.0
    return OcrPage("".join(parts), boxes, confidence, prepared.quarter_turns, prepared.skew)


def _clean(text: str) -> str:
    """Ligatures out, whitespace inside a word (Tesseract leaves none, but a model may) to one space."""
    return " ".join(text.translate(LIGATURES).split())


def type_height(words: list[RecognisedWord]) -> float | None:
    """The median height in pixels of the words of four or more letters (ascenders and descenders
    included), or None when there are too few of them to tell."""
    heights = sorted(word.box[3] - word.box[1] for word in words
                     if sum(ch.isalpha() for ch in word.text) >= 4)
    if len(heights) < MIN_MEASURED_WORDS:
        return None
    return float(heights[len(heights) // 2])


def recognised(engine: OcrEngine, prepared: Prepared) -> list[RecognisedWord]:
    """The words of a prepared page: on a grey page with the points of clause numbers the recogniser
    dropped put back (``with_decimal_points``), on a standard-mode fax read in English with the letters
    its coarse scan lines turned into others put right (``fax_words``)."""
    # ``block`` only when asked, so that an engine without that layout still reads every other page.
    words = (engine.recognise(prepared.image, prepared.columns, block=True) if prepared.block
             else engine.recognise(prepared.image, prepared.columns))
    # Not on faxes: their speckle between two digits looks like a point ("2015" read "201.5" on tuning
    # notes' faxes, where the recogniser had dropped no point).
    if not prepared.fax and any(_NUMBER.match(word.text) for word in words):
        words = with_decimal_points(words, prepared.image)
    words = with_list_numbers(words)
    if prepared.coarse_lines and engine.languages == "eng" and fax_words.available():
        words = [replace(word, text=fax_words.corrected(word.text)) for word in words]
    return words


def read_page(engine: OcrEngine, image: Image.Image, dpi: tuple[float, float] | None = None) -> OcrPage:
    """One page: prepared, recognised, tried upside down when the first reading is doubtful, read
    again enlarged when its type is small, and with bolder strokes when it is still unsure."""
    prepared = prepare(image, dpi, detect_orientation=engine.orientation)
    words = recognised(engine, prepared)
    page = layout_text(words, prepared)
    if page.confidence < DOUBTFUL_CONFIDENCE and page.text:
        turns = engine.orientation(prepared.image)
        if turns:
            again = prepare(image, dpi, quarter_turns=(prepared.quarter_turns + turns) % 4)
            again_words = recognised(engine, again)
            second = layout_text(again_words, again)
            if second.confidence > page.confidence:
                page, prepared, words = second, again, again_words
    if not prepared.columns:
        outside = ink_outside_words(words, prepared.image)
        if outside > MAX_INK_OUTSIDE:
            block = replace(prepared, block=True)
            block_words = recognised(engine, block)
            second = layout_text(block_words, block)
            if (ink_outside_words(block_words, block.image) < outside
                    and second.confidence >= page.confidence - BLOCK_CONFIDENCE_SLACK):
                page, prepared, words = second, block, block_words
    height = type_height(words)
    if height is not None and height < SMALL_TYPE_PX:
        prepared = enlarged(prepared, min(MAX_ENLARGEMENT, TYPE_PX / height))
        page = layout_text(recognised(engine, prepared), prepared)
    if page.confidence < THIN_CONFIDENCE and page.text and not prepared.fax:
        bolder = thickened(prepared)
        second = layout_text(recognised(engine, bolder), bolder)
        if second.confidence > page.confidence:
            page = second
    return page


def read_pages(engine: OcrEngine, pages: Iterable[tuple[Image.Image, tuple[float, float] | None]],
               workers: int = 1) -> list[OcrPage]:
    """OCR of ``pages`` (image, dpi) in ``workers`` threads, in page order.

    Images are taken from ``pages`` only as threads free up, so at most ``workers`` + 1 page images are
    held at once (a 300-dpi letter page is 8 MB in grey): ``pages`` may render lazily.
    """
    workers = max(1, workers)
    results: list[OcrPage] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr") as pool:
        pending = []
        for image, dpi in pages:
            pending.append(pool.submit(read_page, engine, image, dpi))
            if len(pending) > workers:
                results.append(pending.pop(0).result())
        results.extend(future.result() for future in pending)
    return results
