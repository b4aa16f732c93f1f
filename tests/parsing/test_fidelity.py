"""Real contracts through the real parser: text faithful to CUAD's reference text, offsets at page starts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader

from docintel.parsing import parse_file
from docintel.parsing.fidelity import word_similarity
from docintel.parsing.normalize import clean_page
from docintel.parsing.pdf import extract_pdf
from tests.parsing.conftest import CONTRACT_IDS, CONTRACTS

MIN_SIMILARITY = 0.95


def reference(contract_id: str) -> str:
    return (CONTRACTS / "txt" / f"{contract_id}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("engine", ["pypdf", "pdfium"])
@pytest.mark.parametrize("contract_id", CONTRACT_IDS)
def test_text_matches_the_reference_text(contract_id, engine, settings):
    settings.PDF_ENGINE = engine
    parsed = parse_file(CONTRACTS / "pdf" / f"{contract_id}.pdf", "application/pdf")
    assert word_similarity(parsed.text, reference(contract_id)) >= MIN_SIMILARITY
    assert parsed.warnings == []


@pytest.mark.parametrize("contract_id", CONTRACT_IDS)
def test_page_offsets_point_at_the_start_of_each_page(contract_id):
    path = CONTRACTS / "pdf" / f"{contract_id}.pdf"
    parsed = parse_file(path, "application/pdf")
    pages = PdfReader(path).pages
    assert parsed.pages == len(pages)
    assert parsed.page_offsets == sorted(parsed.page_offsets) and parsed.page_offsets[0] == 0
    for start, page in zip(parsed.page_offsets, pages, strict=True):
        beginning = clean_page(page.extract_text())[:40]
        assert parsed.text[start:start + len(beginning)] == beginning


@pytest.mark.parametrize("pypdf_budget_s", [0.0005, 0.005, 0.02, 0.08])
def test_a_long_file_finishes_with_pdfium_when_pypdf_runs_out_of_its_time(pypdf_budget_s):
    """Whichever page the switch interrupts, no page is lost or read twice."""
    contract_id = CONTRACT_IDS[0]
    path = CONTRACTS / "pdf" / f"{contract_id}.pdf"
    unhurried = extract_pdf(str(path), "pypdf", 1000, 5_000_000, pypdf_budget_s=60)
    hurried = extract_pdf(str(path), "pypdf", 1000, 5_000_000, pypdf_budget_s=pypdf_budget_s)
    assert len(hurried["page_offsets"]) == len(unhurried["page_offsets"])
    assert abs(len(hurried["text"]) - len(unhurried["text"])) < 0.01 * len(unhurried["text"])
    assert word_similarity(hurried["text"], reference(contract_id)) >= MIN_SIMILARITY


def test_text_beyond_the_character_limit_is_cut_and_flagged(settings):
    settings.MAX_TEXT_CHARS = 5000
    parsed = parse_file(CONTRACTS / "pdf" / f"{CONTRACT_IDS[0]}.pdf", "application/pdf")
    assert len(parsed.text) == 5000
    assert [w["code"] for w in parsed.warnings] == ["truncated"]
    assert all(offset <= 5000 for offset in parsed.page_offsets)


def test_parses_from_several_threads_at_once_match_one_at_a_time():
    """The in-process task runner parses from threads: each fork must get its own, whole result."""
    paths = [CONTRACTS / "pdf" / f"{contract_id}.pdf" for contract_id in CONTRACT_IDS] * 2
    alone = [parse_file(path, "application/pdf").text for path in paths]
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        together = list(pool.map(lambda path: parse_file(path, "application/pdf").text, paths))
    assert together == alone
