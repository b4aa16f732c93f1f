"""Page images with black boxes painted over stretches of text: what a redacted copy is made from.

Each page is rendered (pypdfium2) or decoded (image files), the boxes of the spans (``geometry``)
are painted in solid black, slightly enlarged (``PADDING``, so that anti-aliased edges of letters do
not peek out), and the page is encoded as JPEG: pixels only, so nothing under a box survives.
Runs in the sandboxed child (``sandbox.run_isolated``); the result crosses the pipe as JSON.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw

from .base import ParseError
from .geometry import Box, ocr_boxes, page_spans, text_layer_boxes
from .media_types import IMAGE_MEDIA_TYPES, PDF
from .page_images import image_pages, render_pdf_page

RENDER_DPI = 200
JPEG_QUALITY = 80
PADDING = 0.002  # of the page's width/height, on every side of a box (about 1.2 pt on letter paper)


def paint_boxes(image: Image.Image, boxes: list[Box]) -> Image.Image:
    image = image.convert("RGB")
    draw = ImageDraw.Draw(image)
    width, height = image.size
    for x0, y0, x1, y1 in boxes:
        draw.rectangle((int((x0 - PADDING) * width), int((y0 - PADDING) * height),
                        int((x1 + PADDING) * width + 1), int((y1 + PADDING) * height + 1)), fill=(0, 0, 0))
    return image


def _jpeg(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def blacked_out_pages(path: str, media_type: str, text: str, page_offsets: list[int], layout: dict,
                      spans: list[tuple[int, int]], max_pixels: int, max_pages: int, dpi: int = RENDER_DPI,
                      only_page: int | None = None) -> dict:
    """Every page (or page ``only_page``) with ``spans`` (offsets into ``text``) blacked out:
    ``{"pages": [{"jpeg": base64, "width": points, "height": points, "boxes": n}]}``."""
    per_page = page_spans(page_offsets, len(text), spans)
    words = layout.get("pages", {})
    data = Path(path).read_bytes()
    pages = []
    if media_type in IMAGE_MEDIA_TYPES:
        for number, page in enumerate(image_pages(data, max_pixels=max_pixels, max_pages=max_pages), start=1):
            if only_page not in (None, number):
                continue
            boxes = _ocr_page_boxes(words, number, page_offsets, per_page)
            x_dpi, y_dpi = page.dpi or (page.image.width / 8.5, page.image.width / 8.5)
            image = page.image
            if x_dpi > dpi * 1.5:  # a 600-dpi scan does not need 600 dpi to be read
                image = image.resize((round(image.width * dpi / x_dpi), round(image.height * dpi / y_dpi)))
            painted = paint_boxes(image, boxes)
            pages.append({"jpeg": _jpeg(painted), "width": page.image.width * 72 / x_dpi,
                          "height": page.image.height * 72 / y_dpi, "boxes": len(boxes)})
        return {"pages": pages}
    if media_type != PDF:
        raise ParseError("unsupported_type", "only PDF and image files have page images")
    document = pypdfium2.PdfDocument(data, password="")
    try:
        for index in range(len(document)):
            number = index + 1
            if only_page not in (None, number):
                continue
            if str(number) in words:
                boxes = _ocr_page_boxes(words, number, page_offsets, per_page)
            else:
                start = page_offsets[index] if index < len(page_offsets) else len(text)
                end = page_offsets[index + 1] - 2 if index + 1 < len(page_offsets) else len(text)
                boxes = text_layer_boxes(document, index, text[start:end], per_page.get(number, []))
            image = render_pdf_page(document, index, dpi)  # the page as displayed (its /Rotate applied)
            pages.append({"jpeg": _jpeg(paint_boxes(image, boxes)), "width": image.width * 72 / dpi,
                          "height": image.height * 72 / dpi, "boxes": len(boxes)})
    finally:
        document.close()
    return {"pages": pages}


def _ocr_page_boxes(words: dict, number: int, page_offsets: list[int], per_page: dict) -> list[Box]:
    page = words.get(str(number))
    if not page:
        return []
    start = page_offsets[number - 1]
    return ocr_boxes(page["words"], [(start + s, start + e) for s, e in per_page.get(number, [])])
