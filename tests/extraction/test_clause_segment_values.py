"""Contracts cut into headings and sentences, and the values read from clauses."""

from __future__ import annotations

from extraction.clauses import values
from extraction.clauses.cuad import SpacedText
from extraction.clauses.segment import segment

CONTRACT = """LICENSE AGREEMENT

Table of Contents
1. Definitions 1
12. Term and Renewal 9

12. Term and Renewal.
12.1 This Agreement shall commence on the Effective Date and continue for three (3) years. It shall
automatically renew for successive one (1) year terms unless either party gives the other sixty (60)
days' prior written notice of non-renewal.

Source: EXAMPLE CORP, 10-K, 3/1/2020

13. Governing Law. This Agreement is governed by the laws of the State of New York, U.S.A. without
regard to conflicts of law.
"""


def _text_of(units, kind):
    return [" ".join(CONTRACT[u.start:u.end].split()) for u in units if u.kind == kind]


def test_headings_and_table_of_contents_are_never_sentences():
    units = segment(CONTRACT)
    sentences = _text_of(units, "sentence")
    assert "12. Term and Renewal 9" in _text_of(units, "heading")
    assert not any(s.startswith(("Table of Contents", "1. Definitions", "Source:")) for s in sentences)
    assert any(s.startswith("It shall automatically renew for successive one (1) year terms") and
               s.endswith("notice of non-renewal.") for s in sentences)


def test_abbreviations_do_not_end_a_sentence():
    sentences = _text_of(segment(CONTRACT), "sentence")
    assert any(s.startswith("This Agreement is governed by") and s.endswith("conflicts of law.")
               for s in sentences)


def test_units_are_offsets_into_the_text_and_headings_carry_over():
    units = segment(CONTRACT)
    for unit in units:
        assert CONTRACT[unit.start:unit.end].strip() == CONTRACT[unit.start:unit.end]
    renewal = next(u for u in units if "automatically" in CONTRACT[u.start:u.end])
    assert "Term and Renewal" in renewal.heading


def test_renewal_term_and_notice_period_as_durations():
    start = CONTRACT.index("It shall")
    end = CONTRACT.index("non-renewal.") + len("non-renewal.")
    term = values.renewal_term(CONTRACT, start, end)
    notice = values.notice_period(CONTRACT, start, end)
    assert term.value == {"duration": "P1Y", "successive": True}
    assert CONTRACT[term.start:term.end] == "one (1) year"
    assert notice.value == "P60D"
    assert CONTRACT[notice.start:notice.end].startswith("sixty (60)")


def test_governing_law_and_caps():
    law = values.governing_law(CONTRACT, 0, len(CONTRACT))
    assert law.value == "New York"
    cap = "Liability shall not exceed US$ 2.5 million in the aggregate."
    assert values.liability_cap(cap, 0, len(cap)).value == {"amount": 2500000, "currency": "USD"}
    fees = "Liability is limited to the fees paid by Customer in the twelve (12) months before the claim."
    multiple = values.liability_cap(fees, 0, len(fees)).value
    assert multiple["multiple"] == 1.0 and "fees paid by Customer" in multiple["of"]


def test_labelled_clauses_are_found_whatever_the_line_wrapping():
    spaced = SpacedText(CONTRACT)
    start, end = spaced.find("It shall automatically renew for successive one (1) year terms")
    assert CONTRACT[start:end].replace("\n", " ") == \
        "It shall automatically renew for successive one (1) year terms"


RUN_ON = ("The parties hereto agree as follows. 1. BACKGROUND 1.1 In the course of a research programme "
          "an invention was made. 9.2 Non-Assignment. No party may assign this Agreement without the "
          "other party's prior written consent. 6.2 Termination by Company: Company may terminate this "
          "Agreement for any reason upon sixty (60) days written notice under Paragraph 8.1. 6.3 Termination "
          "by JHU: JHU may terminate this Agreement upon breach. IN NO EVENT SHALL EITHER PARTY BE LIABLE "
          "FOR SPECIAL, CONSEQUENTIAL OR PUNITIVE DAMAGES.")


def test_headings_inside_run_on_text_are_headings():
    """Texts that run a page on one line: clause numbers with titles are headings, never evidence."""
    units = segment(RUN_ON)
    headings = [" ".join(RUN_ON[u.start:u.end].split()) for u in units if u.kind == "heading"]
    sentences = [RUN_ON[u.start:u.end] for u in units if u.kind == "sentence"]
    assert headings == ["1. BACKGROUND", "9.2 Non-Assignment.", "6.2 Termination by Company:",
                        "6.3 Termination by JHU:"]
    assert "No party may assign this Agreement without the other party's prior written consent." in sentences
    assert any(s.startswith("Company may terminate") and s.endswith("Paragraph 8.1.") for s in sentences)
    assert any(s.startswith("IN NO EVENT SHALL") for s in sentences)  # a clause in capitals, not a title
    assign = next(u for u in units if RUN_ON[u.start:u.end].startswith("No party may assign"))
    assert assign.heading == "9.2 Non-Assignment"
