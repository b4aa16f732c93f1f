"""Where a stretch of the document's text sits on its pages: boxes as fractions of each page.

For the redacted PDF (black boxes over every redacted span) and the review page (boxes and grounding
highlights over page images). Two sources:
- pages read by OCR: the word boxes kept in ``layout`` (a span covers every word it touches, whole);
- pages with a text layer: pdfium's character boxes (loose: the font's full height, so ascenders and
  descenders are covered). The document's text is normalised (ligatures, hyphens, spaces), so it is
  aligned with pdfium's raw characters of the page first (Levenshtein opcodes, bit-parallel: a few
  milliseconds a page); characters inserted by normalisation take the box of their neighbours.

Runs in the sandboxed child for PDFs (pdfium reads the attacker's file). Boxes are
``[x0, y0, x1, y1]`` from the top left of the page as displayed (its /Rotate applied), 0..1.
"""

from __future__ import annotations

import ctypes
from collections import defaultdict
from collections.abc import Iterable

import pypdfium2
import pypdfium2.raw as pdfium_c
from rapidfuzz.distance import Levenshtein

Box = list[float]
_SCALE = 100_000  # device units per page side in FPDF_PageToDevice: fractions to five places
_LINE_OVERLAP = 0.5  # characters whose heights overlap this much are on one line


def page_spans(page_offsets: list[int], text_length: int,
               spans: Iterable[tuple[int, int]]) -> dict[int, list]:
    """Spans cut at page boundaries: {page number: [(start, end) in page-local offsets]}."""
    starts = list(page_offsets)
    ends = [*starts[1:], text_length]
    result: dict[int, list] = defaultdict(list)
    for start, end in spans:
        for number, (page_start, page_end) in enumerate(zip(starts, ends, strict=True), start=1):
            low, high = max(start, page_start), min(end, page_end)
            if low < high:
                result[number].append((low - page_start, high - page_start))
    return dict(result)


def boxes_by_key(path: str, media_type: str, text: str, page_offsets: list[int], layout: dict,
                 keyed_spans: dict[str, list[tuple[int, int]]]) -> dict:
    """``{key: {"<page>": [box...]}}`` for spans of a PDF or image file (run in the sandboxed child)."""
    words = layout.get("pages", {})
    document = None
    result: dict[str, dict[str, list[Box]]] = {}
    try:
        for key, spans in keyed_spans.items():
            for number, local in page_spans(page_offsets, len(text), spans).items():
                start = page_offsets[number - 1]
                if str(number) in words:
                    boxes = ocr_boxes(words[str(number)]["words"], [(start + s, start + e) for s, e in local])
                elif media_type == "application/pdf":
                    if document is None:
                        document = pypdfium2.PdfDocument(path, password="")
                    if number > len(document):
                        continue
                    end = page_offsets[number] - 2 if number < len(page_offsets) else len(text)
                    boxes = text_layer_boxes(document, number - 1, text[start:end], local)
                else:
                    continue
                if boxes:
                    result.setdefault(key, {})[str(number)] = boxes
    finally:
        if document is not None:
            document.close()
    return result


def ocr_boxes(words: list[list[float]], spans: Iterable[tuple[int, int]]) -> list[Box]:
    """Boxes of the OCR words (document offsets) that ``spans`` (document offsets) touch."""
    boxes = []
    for start, end in spans:
        for word_start, word_end, x0, y0, x1, y1, *_ in words:
            if word_start < end and start < word_end:
                boxes.append([x0, y0, x1, y1])
    return boxes


def text_layer_boxes(document: pypdfium2.PdfDocument, index: int, page_text: str,
                     spans: list[tuple[int, int]]) -> list[Box]:
    """Boxes over ``spans`` (offsets into ``page_text``, the normalised text of page ``index``)."""
    page = document[index]
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        raw = textpage.get_text_range(0, count) if count else ""
        mapping = _alignment(page_text, raw)
        boxes: list[Box] = []
        for start, end in spans:
            indices = sorted({index for index in mapping[start:end] if index is not None})
            chars = [_char_box(page, textpage, i) for i in indices if i < count and not raw[i].isspace()]
            boxes.extend(_lines([box for box in chars if box is not None]))
        return boxes
    finally:
        textpage.close()
        page.close()


def _alignment(text: str, raw: str) -> list[int | None]:
    """For each character of ``text``, the index of the raw character it came from (or a neighbour's)."""
    mapping: list[int | None] = [None] * len(text)
    for opcode in Levenshtein.opcodes(text, raw):
        tag, a0, a1 = opcode.tag, opcode.src_start, opcode.src_end
        b0, b1 = opcode.dest_start, opcode.dest_end
        if tag == "equal" or (tag == "replace" and a1 - a0 == b1 - b0):
            for offset in range(a1 - a0):
                mapping[a0 + offset] = b0 + offset
        elif tag == "replace":  # different lengths (ligature split, hyphen joined): spread evenly
            for offset in range(a1 - a0):
                mapping[a0 + offset] = b0 + (offset * (b1 - b0)) // (a1 - a0)
        elif tag == "insert":
            continue  # raw characters the text dropped (a line-end hyphen): nothing of the text there
        else:  # "delete": text characters pdfium does not have (inserted spaces): next to b0
            for offset in range(a1 - a0):
                mapping[a0 + offset] = max(0, b0 - 1) if b0 else None
    return mapping


def _char_box(page: pypdfium2.PdfPage, textpage: pypdfium2.PdfTextPage, index: int) -> Box | None:
    left, bottom, right, top = textpage.get_charbox(index, loose=True)
    if right <= left or top <= bottom:
        return None
    corners = [_to_fraction(page, x, y) for x, y in ((left, bottom), (right, top))]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return [min(xs), min(ys), max(xs), max(ys)]


def _to_fraction(page: pypdfium2.PdfPage, x: float, y: float) -> tuple[float, float]:
    device_x, device_y = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, _SCALE, _SCALE, 0, ctypes.c_double(x), ctypes.c_double(y),
                               ctypes.byref(device_x), ctypes.byref(device_y))
    return device_x.value / _SCALE, device_y.value / _SCALE


def _lines(boxes: list[Box]) -> list[Box]:
    """Character boxes merged into one box per run of characters on the same line."""
    merged: list[Box] = []
    for box in boxes:
        if merged and _same_line(merged[-1], box):
            last = merged[-1]
            merged[-1] = [min(last[0], box[0]), min(last[1], box[1]),
                          max(last[2], box[2]), max(last[3], box[3])]
        else:
            merged.append(list(box))
    return merged


def _same_line(a: Box, b: Box) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > _LINE_OVERLAP * min(a[3] - a[1], b[3] - b[1])
