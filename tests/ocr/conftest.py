"""Scanned pages for the OCR tests, made at test time from the seeded generator (``fixtures/scans``):
a synthetic clinical note (tuning split) scanned clean, faxed (standard and fine mode) and turned, a
CUAD contract page, a PDF mixing a text page and a scanned page, and Word files."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from tests.conftest import FIXTURES


def _generator():
    spec = importlib.util.spec_from_file_location("scan_fixtures", FIXTURES / "scans" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


scan_fixtures = _generator()
NOTE = scan_fixtures.note_texts("tune")[0]
NOTE_PHI = [NOTE["text"][span["start"]:span["end"]] for span in NOTE["spans"]]


@pytest.fixture(scope="session")
def scans(tmp_path_factory) -> dict[str, Path]:
    """{"<profile>": path} of the note scanned in each profile (PDF; the faxes also as TIFF)."""
    folder = tmp_path_factory.mktemp("scans")
    paths = {}
    for offset, profile in enumerate(("clean", "fax", "rotated", "fax_fine")):
        scan = scan_fixtures.note_scan(NOTE, profile, seed=offset)
        scan_fixtures.write(scan, folder)
        paths[profile] = folder / f"{scan.name}.pdf"
    paths["fax.tif"] = folder / f"{NOTE['id']}-fax.tif"
    paths["fax_fine.tif"] = folder / f"{NOTE['id']}-fax_fine.tif"
    return paths


@pytest.fixture(scope="session")
def reference() -> str:
    return NOTE["text"]


@pytest.fixture(scope="session")
def mixed_pdf(scans, tmp_path_factory) -> Path:
    """Page 1 a text page (fpdf2), page 2 the clean scan of the note."""
    text = FPDF()
    text.set_font("Helvetica", size=12)
    text.add_page()
    text.multi_cell(0, 6, "This Agreement is governed by the laws of the State of Delaware. " * 3)
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(bytes(text.output()))).pages[0])
    writer.add_page(PdfReader(scans["clean"]).pages[0])
    path = tmp_path_factory.mktemp("mixed") / "mixed.pdf"
    with path.open("wb") as out:
        writer.write(out)
    return path


def manifest(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
