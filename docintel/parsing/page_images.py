"""Pictures of a document's pages: for OCR, for the redacted PDF and for the review page.

Image files (TIFF with any number of pages, PNG, JPEG) are attacker-controlled like PDFs: they are
opened only in the sandboxed child (``sandbox``), and refused before decoding when their header
promises more pixels than ``max_pixels`` (a decompression bomb is a small file that says it is huge),
more frames than ``max_pages``, or cannot be decoded. Pillow's own bomb check is tightened to ours.

For OCR, a PDF page that is one full-page picture (what scanners write) gives that picture at its own
resolution: a fax's 1-bit 200 x 100 dpi image read as is scores better than pdfium's rendering of it
(0.88 against 0.72 word fidelity on a tuning fax: rendering smooths and resamples before we can).
Any other page is rendered at 300 dpi.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pypdfium2
from PIL import Image, ImageSequence, UnidentifiedImageError

from .base import ParseError

OCR_DPI = 300
IMAGE_MEDIA_TYPES = {"image/tiff", "image/png", "image/jpeg"}
_FULL_PAGE = 0.9  # a picture covering this share of the page (both ways) is the page
_RENDER_MAX_PIXELS = 80_000_000  # a page rendered for OCR or display never exceeds this (8 x 10 m at 300 dpi)


@dataclass
class PageImage:
    image: Image.Image
    dpi: tuple[float, float] | None  # None: unknown, guessed from the width
    # Where the picture sits on the page: (left, top, right, bottom) as fractions; (0, 0, 1, 1) for all.
    placement: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)


def open_image(data: bytes, *, max_pixels: int, max_pages: int) -> Image.Image:
    """The image file, checked (format, pixels, frames) without decoding its pixels yet."""
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow raises past twice this; we refuse at once (below)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ParseError("image_too_large", f"the image has more than {max_pixels} pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ParseError("image_corrupt", "the file is not a readable image") from None
    if image.format not in ("TIFF", "PNG", "JPEG", "MPO"):
        raise ParseError("unsupported_type", "only TIFF, PNG and JPEG images are accepted")
    frames = getattr(image, "n_frames", 1)  # for a TIFF this walks the page directory, not the pixels
    if frames > max_pages:
        raise ParseError("too_many_pages", f"the file has {frames} pages; the limit is {max_pages}")
    return image


def image_pages(data: bytes, *, max_pixels: int, max_pages: int) -> Iterator[PageImage]:
    """Each page (frame) of an image file, decoded one at a time; a broken frame is ``image_corrupt``."""
    image = open_image(data, max_pixels=max_pixels, max_pages=max_pages)
    for frame in _frames(image):
        if frame.width * frame.height > max_pixels:  # each TIFF page has its own header
            raise ParseError("image_too_large", f"a page of the image has more than {max_pixels} pixels")
        try:
            frame.load()
            page = frame.copy()
        except (OSError, ValueError, SyntaxError, EOFError, struct.error):
            raise ParseError("image_corrupt", "the image is damaged and could not be decoded") from None
        page.info.setdefault("dpi", frame.info.get("dpi"))
        yield PageImage(page, _dpi(frame))


def _dpi(image: Image.Image) -> tuple[float, float] | None:
    try:
        x, y = (float(value) for value in image.info["dpi"][:2])
        return x, y
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def render_pdf_page(document: pypdfium2.PdfDocument, index: int, dpi: float, *, grey: bool = False,
                    max_pixels: int = _RENDER_MAX_PIXELS) -> Image.Image:
    """Page ``index`` as the reader sees it (its rotation applied), at ``dpi`` or less for huge pages."""
    page = document[index]
    try:
        width, height = page.get_size()  # points
        scale = dpi / 72
        pixels = width * scale * height * scale
        if pixels > max_pixels:
            scale *= (max_pixels / pixels) ** 0.5
        bitmap = page.render(scale=scale, grayscale=grey, no_smoothimage=True)
        return bitmap.to_pil()
    finally:
        page.close()


def pdf_page_for_ocr(document: pypdfium2.PdfDocument, index: int) -> PageImage:
    """The page's own full-page picture at its resolution, else the page rendered at ``OCR_DPI``."""
    page = document[index]
    try:
        picture = _full_page_picture(page)
    finally:
        page.close()
    if picture is not None:
        return picture
    return PageImage(render_pdf_page(document, index, OCR_DPI, grey=True), (OCR_DPI, OCR_DPI))


def _full_page_picture(page: pypdfium2.PdfPage) -> PageImage | None:
    if page.get_rotation() % 360:
        return None  # the picture is turned on the page: rendering applies that
    width, height = page.get_size()
    pictures = list(page.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE], max_depth=1))
    if len(pictures) != 1:
        return None
    picture = pictures[0]
    left, bottom, right, top = picture.get_bounds()
    matrix = picture.get_matrix()
    if abs(matrix.b) > 1e-6 or abs(matrix.c) > 1e-6 or matrix.a <= 0 or matrix.d <= 0:
        return None  # turned or mirrored on the page
    if (right - left) < _FULL_PAGE * width or (top - bottom) < _FULL_PAGE * height:
        return None
    try:
        image = picture.get_bitmap(render=False).to_pil()
    except pypdfium2.PdfiumError:
        return None
    if image.mode not in ("1", "L", "RGB", "RGBA"):
        image = image.convert("RGB")
    dpi = (image.width / ((right - left) / 72), image.height / ((top - bottom) / 72))
    placement = (left / width, 1 - top / height, right / width, 1 - bottom / height)
    return PageImage(image, dpi, placement)


def count_image_pages(path: str, max_pixels: int, max_pages: int) -> dict:
    """The number of pages of an image file, every page's header checked (run in the sandbox)."""
    with open(path, "rb") as file:
        data = file.read()
    image = open_image(data, max_pixels=max_pixels, max_pages=max_pages)
    count = 0
    for frame in _frames(image):
        if frame.width * frame.height > max_pixels:
            raise ParseError("image_too_large", f"a page of the image has more than {max_pixels} pixels")
        count += 1
    return {"pages": count}


def _frames(image: Image.Image) -> Iterator[Image.Image]:
    """The pages of a TIFF (one for other formats); a page directory that cannot be read is corrupt."""
    if image.format != "TIFF":
        yield image
        return
    frames = ImageSequence.Iterator(image)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except (OSError, ValueError, SyntaxError, EOFError, struct.error):
            raise ParseError("image_corrupt", "a page of the image is damaged and cannot be read") from None
        yield frame
