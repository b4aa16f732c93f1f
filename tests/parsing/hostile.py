"""Hostile PDFs for the parser's tests, generated rather than committed (a bomb is best not shipped).

``python tests/parsing/hostile.py DIR`` writes the whole set into DIR, e.g. to try ``manage.py parse``:
each file is named after what is wrong with it; ``HOSTILE`` says what the parser may answer.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "fixtures" / "contracts" / "pdf" / "cuad-0bb03eb953.pdf"
SENTENCE = "This Agreement is governed by the laws of the State of Delaware."


def text_pdf(*pages: str) -> bytes:
    """A well-formed PDF with one page per argument (fpdf2, a core font)."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def raw_pdf(*objects: bytes, trailer: bytes = b"/Root 1 0 R") -> bytes:
    """A PDF assembled by hand from numbered objects (1, 2, …), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def _writer_output(writer: PdfWriter) -> bytes:
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def truncated() -> bytes:
    data = CONTRACT.read_bytes()
    return data[: len(data) // 2]


def truncated_tail() -> bytes:
    """A two-page PDF cut before its cross-reference table: the pages are all there, the index is not."""
    data = text_pdf(SENTENCE, "Second page.")
    return data[: data.rindex(b"\nxref\n") + 1]


def zero_bytes() -> bytes:
    return b""


def not_a_pdf() -> bytes:
    return b"<html><body>Invoice: this is a web page saved with a .pdf name</body></html>\n" * 20


def encrypted(user_password: str) -> Callable[[], bytes]:
    def make() -> bytes:
        writer = PdfWriter(clone_from=BytesIO(text_pdf(SENTENCE)))
        writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
        return _writer_output(writer)
    return make


def reference_cycle() -> bytes:
    """The page tree loops: Pages 2 -> Kids [3] -> Kids [2] …; object 4's /Length points at itself."""
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 5 0 R] /Count 1 >>",
        b"<< /Length 4 0 R >>\nstream\nBT ET\nendstream",
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
    )


def decompression_bomb(expanded_gib: int = 2) -> bytes:
    """One page whose FlateDecode content stream is ~2 MB and expands to ``expanded_gib`` GiB of spaces.

    A full flush resets the compressor, so one compressed 64 MiB block repeats as often as needed:
    seconds to build instead of compressing gigabytes; the checksum is computed over the whole.
    """
    chunk, copies = b" " * (64 << 20), expanded_gib * 16
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: the zlib wrapper is added below
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(copies):
        checksum = zlib.adler32(chunk, checksum)
    return one_page_pdf(b"\x78\xda" + block * copies + compressor.flush() + struct.pack(">I", checksum))


def many_pages(count: int = 2000) -> Callable[[], bytes]:
    def make() -> bytes:
        writer = PdfWriter()
        for _ in range(count):
            writer.add_blank_page(612, 792)
        return _writer_output(writer)
    return make


def javascript() -> bytes:
    """Readable text plus document-level JavaScript and a launch action run on opening."""
    writer = PdfWriter(clone_from=BytesIO(text_pdf(SENTENCE)))
    writer.add_open_action(JavaScript("app.alert('opened');"))
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    return _writer_output(writer)


def incremental_update() -> bytes:
    """A real contract with one revision appended after it was saved (new metadata)."""
    writer = PdfWriter(BytesIO(CONTRACT.read_bytes()), incremental=True)
    writer.add_metadata({"/Title": "edited later"})
    return _writer_output(writer)


def slow(operations: int = 2_000_000) -> bytes:
    """A page with millions of text operators: legal, but far too slow to extract within a short limit."""
    return one_page_pdf(zlib.compress(b"BT /F1 12 Tf 72 720 Td " + b"(x) Tj " * operations + b"ET"))


def escaped_javascript() -> bytes:
    """JavaScript run on opening, its name spelt with a #-escape (/J#61vaScript) to dodge byte scanners."""
    text = zlib.compress(b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % SENTENCE.encode())
    return one_page_pdf(text, catalog=b"/OpenAction << /S /J#61vaScript /JS (app.alert(1)) >>")


def one_page_pdf(flate_content: bytes, *, catalog: bytes = b"") -> bytes:
    """A one-page PDF with a font and the given FlateDecode-compressed content stream."""
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(flate_content), flate_content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )


# name -> (how to make it, the acceptable answers): failing with one of "errors", or succeeding with
# every warning code in "warnings" (absent: the file must fail).
HOSTILE: dict[str, tuple[Callable[[], bytes], dict]] = {
    "truncated": (truncated, {"errors": {"pdf_corrupt"}, "warnings": {"truncated"}}),
    "truncated-tail": (truncated_tail, {"errors": set(), "warnings": {"truncated", "repaired"}}),
    "zero-bytes": (zero_bytes, {"errors": {"empty_file"}}),
    "not-a-pdf": (not_a_pdf, {"errors": {"not_a_pdf"}}),
    "encrypted-user-password": (encrypted("s3cret"), {"errors": {"pdf_encrypted"}}),
    "encrypted-empty-password": (encrypted(""), {"errors": set(), "warnings": set()}),
    "reference-cycle": (reference_cycle, {"errors": {"pdf_corrupt"}, "warnings": {"repaired"}}),
    "decompression-bomb": (decompression_bomb, {"errors": {"decompression_bomb", "parse_out_of_memory"}}),
    "2000-pages": (many_pages(2000), {"errors": {"too_many_pages"}}),
    "javascript": (javascript, {"errors": set(), "warnings": {"active_content"}}),
    "javascript-escaped-name": (escaped_javascript, {"errors": set(), "warnings": {"active_content"}}),
    "incremental-update": (incremental_update, {"errors": set(), "warnings": {"incremental_updates"}}),
}


def write_all(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (make, _expected) in HOSTILE.items():
        paths[name] = directory / f"{name}.pdf"
        paths[name].write_bytes(make())
    return paths


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1])).values():
        print(written)
