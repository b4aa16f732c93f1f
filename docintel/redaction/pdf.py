"""A PDF of the redacted text: rendered FROM the redacted text, so no redacted character exists anywhere
in the file (no black boxes drawn over live text, no hidden layer, no metadata from the original)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from .models import redaction_of

# DejaVu (Debian's fonts-dejavu-core) covers most scripts; without it, the built-in Helvetica covers
# Latin-1 only and other characters become "?" (never dropped silently into a blank).
UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def render_text_pdf(text: str, *, title: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("docintel")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    font = next((path for path in UNICODE_FONTS if path.exists()), None)
    if font:
        pdf.add_font("body", fname=str(font))
        pdf.set_font("body", size=10)
    else:
        pdf.set_font("Helvetica", size=10)
        text = text.encode("latin-1", errors="replace").decode("latin-1")
        title = title.encode("latin-1", errors="replace").decode("latin-1")
    text = "".join(ch if ch in "\n" or ch.isprintable() else " " for ch in text.replace("\t", "    "))
    pdf.multi_cell(0, 5, title + "\n\n")
    pdf.multi_cell(0, 5, text)
    return bytes(pdf.output())


def redacted_pdf_bytes(document) -> bytes:
    """The redacted copy of ``document`` as PDF (``NotReady`` until its redact stage has run)."""
    result = redaction_of(document)
    return render_text_pdf(result.redacted_text, title=f"Redacted copy of document {document.pk}")
