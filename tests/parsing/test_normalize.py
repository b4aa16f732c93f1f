"""Normalisation: what changes in extracted text, and that offsets still index the returned text."""

from __future__ import annotations

from docintel.parsing.normalize import assemble, clean_page, join_hyphenated, normalise_pages


def test_ligatures_become_letters():
    assert clean_page("\ufb01nal \ufb02ow, e\ufb00ect, o\ufb03ce") == "final flow, effect, office"


def test_nul_and_control_characters_are_removed():
    raw = "Con\x00tract\x07 term\u200b\ufeff: 5\u00ad ye\ud800ars\x1b"
    assert clean_page(raw) == "Contract term: 5 years"


def test_whitespace_is_made_sane():
    raw = "  Section\t1.\u00a0\u00a0Term  \r\n\r\n\r\n\r\nThe   term\fis\rfive years.   \n"
    assert clean_page(raw) == "Section 1. Term\n\nThe term\nis\nfive years."


def test_a_word_split_at_a_line_end_is_joined_when_the_document_knows_it():
    pages = ["For exam-\nple, the agree-\nment.", "Another example of this agreement."]
    assert join_hyphenated(pages)[0] == "For example, the agreement."


def test_hard_hyphens_at_line_ends_keep_their_hyphen():
    pages = ["a non-\nexclusive, world-\nwide licence; see Co-\nBranding and 21218-\n2695", "non-exclusive"]
    assert join_hyphenated(pages)[0] == "a non-exclusive, world-wide licence; see Co-Branding and 21218-2695"


def test_pages_are_assembled_with_their_start_offsets():
    pages = normalise_pages(["First  page\n", "", "Third\ufb01 page"])
    text, offsets = assemble(pages)
    assert offsets == [0, len("First page\n\n"), len("First page\n\n\n\n")]
    assert [text[start:start + len(page)] for start, page in zip(offsets, pages, strict=True)] == [
        "First page", "", "Thirdfi page"]
    assert text == "First page\n\n\n\nThirdfi page"
