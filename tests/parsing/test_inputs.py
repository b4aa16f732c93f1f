"""Word files and images: their text (or pages for OCR), and hostile variants refused with a code.

Every file goes through ``parse_file`` (the sandboxed child) as uploads do; hostile ones are made here.
"""

from __future__ import annotations

import io
import os
import struct
import time
import zipfile
from pathlib import Path

import docx
import pytest
from PIL import Image

from docintel.errors import UnsupportedType
from docintel.parsing import ParseError, detect_media_type, parse_file
from docintel.parsing.media_types import DOCX, JPEG, PNG, TEXT, TIFF

SECONDS_PER_FILE = 20


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def word_file() -> bytes:
    document = docx.Document()
    document.add_heading("Referral letter", level=1)
    document.add_paragraph("Patient seen in clinic on 3 March.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Medication", "Dose"
    table.cell(1, 0).text, table.cell(1, 1).text = "metformin", "500 mg BID"
    document.add_paragraph("Follow up in 2 weeks.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezipped(data: bytes, replace: dict[str, bytes], *, drop: tuple[str, ...] = ()) -> bytes:
    """The DOCX ``data`` with parts replaced or added (deflated), or dropped."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            if item.filename not in replace and item.filename not in drop:
                out.writestr(item, source.read(item))
        for name, content in replace.items():
            out.writestr(name, content)
    return buffer.getvalue()


def image_bytes(fmt: str, frames: int = 1, size=(200, 100), mode: str = "L", **options) -> bytes:
    pages = [Image.new(mode, size, 255) for _ in range(frames)]
    buffer = io.BytesIO()
    pages[0].save(buffer, fmt, save_all=frames > 1, append_images=pages[1:], **options)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header says it is ``width`` x ``height``: a decompression bomb's promise."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        import zlib
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    import zlib
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def tiff_claiming(width: int, height: int) -> bytes:
    """A small uncompressed TIFF whose first page directory is patched to claim ``width`` x ``height``."""
    data = bytearray(image_bytes("TIFF", size=(8, 8)))
    ifd = struct.unpack_from("<I", data, 4)[0]
    for index in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * index
        tag, kind = struct.unpack_from("<HH", data, entry)
        if tag in (256, 257):
            value = width if tag == 256 else height
            struct.pack_into("<I" if kind == 4 else "<H", data, entry + 8, value)
    return bytes(data)


def parse_code(path: Path, media_type: str) -> str | None:
    started = time.monotonic()
    try:
        parse_file(path, media_type)
        code = None
    except ParseError as error:
        code = error.code
    assert time.monotonic() - started < SECONDS_PER_FILE
    return code


def test_media_types_are_told_by_content(tmp_path):
    assert detect_media_type("x.bin", image_bytes("PNG")) == PNG
    assert detect_media_type("x.png", image_bytes("JPEG")) == JPEG
    assert detect_media_type("scan", image_bytes("TIFF")) == TIFF
    assert detect_media_type("letter.docx", word_file()) == DOCX
    assert detect_media_type("notes.txt", b"plain words") == TEXT
    with pytest.raises(UnsupportedType):
        detect_media_type("archive.zip", word_file())


def test_a_word_file_gives_its_paragraphs_and_tables_in_reading_order(tmp_path):
    parsed = parse_file(write(tmp_path, "letter.docx", word_file()), DOCX)
    assert parsed.text == ("Referral letter\nPatient seen in clinic on 3 March.\nMedication Dose\n"
                           "metformin 500 mg BID\nFollow up in 2 weeks.")
    assert parsed.page_offsets == [0] and parsed.warnings == []


def test_an_image_file_has_one_empty_page_per_frame_named_for_ocr(tmp_path):
    parsed = parse_file(write(tmp_path, "fax.tif", image_bytes("TIFF", frames=3, mode="1",
                                                                  compression="group4", size=(64, 32))), TIFF)
    assert parsed.pages == 3 and not parsed.text.strip()
    [gap] = [item for item in parsed.warnings if item["code"] == "no_text_layer"]
    assert gap["pages"] == [1, 2, 3]


HOSTILE_IMAGES = {
    "png-bomb.png": (lambda: png_claiming(200_000, 200_000), PNG, "image_too_large"),
    "tiff-huge.tif": (lambda: tiff_claiming(60_000, 60_000), TIFF, "image_too_large"),
    "tiff-garbage.tif": (lambda: b"II*\x00" + b"\xff" * 200, TIFF, "image_corrupt"),
    "tiff-cut.tif": (lambda: image_bytes("TIFF", frames=2)[:60], TIFF, "image_corrupt"),
    "png-not-really.png": (lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, PNG, "image_corrupt"),
}


@pytest.mark.parametrize("name", list(HOSTILE_IMAGES))
def test_hostile_images_are_refused_with_a_code(tmp_path, name):
    make, media_type, code = HOSTILE_IMAGES[name]
    assert parse_code(write(tmp_path, name, make()), media_type) == code


def test_an_image_with_more_pages_than_allowed_is_refused(tmp_path, settings):
    settings.MAX_PAGES = 3
    path = write(tmp_path, "many.tif", image_bytes("TIFF", frames=5, size=(16, 16)))
    assert parse_code(path, TIFF) == "too_many_pages"


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                  b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")
EXTERNAL_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                   b"<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>")

BODY = "word/document.xml"
HOSTILE_WORD_FILES = {
    "billion-laughs.docx": (lambda: rezipped(word_file(), {BODY: BILLION_LAUGHS}), "docx_unsafe"),
    "external-entity.docx": (lambda: rezipped(word_file(), {BODY: EXTERNAL_ENTITY}), "docx_unsafe"),
    "zip-bomb.docx": (lambda: rezipped(word_file(), {"word/media/image1.png": b"\x00" * (30 * 1024 * 1024)}),
                      "docx_zip_bomb"),
    "not-word.docx": (lambda: rezipped(word_file(), {}, drop=("word/document.xml",)), "docx_corrupt"),
    "cut.docx": (lambda: word_file()[:2000], "docx_corrupt"),
    "broken-xml.docx": (lambda: rezipped(word_file(), {"word/document.xml": b"<w:document><w:body"}),
                        "docx_corrupt"),
}


@pytest.mark.parametrize("name", list(HOSTILE_WORD_FILES))
def test_hostile_word_files_are_refused_with_a_code(tmp_path, name):
    make, code = HOSTILE_WORD_FILES[name]
    assert parse_code(write(tmp_path, name, make()), DOCX) == code


def test_a_word_file_unpacking_past_the_limit_is_refused(tmp_path, settings):
    settings.DOCX_MAX_UNPACKED_MB = 1
    big = rezipped(word_file(), {"word/media/photo.bin": os.urandom(2 * 1024 * 1024)})  # incompressible
    assert parse_code(write(tmp_path, "big.docx", big), DOCX) == "docx_zip_bomb"
