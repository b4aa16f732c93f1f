"""Grounding: every span points at text that says its value; what the text does not say is flagged."""

from __future__ import annotations

import pytest

from extraction.builtin_schemas import CONTRACT
from extraction.dates import date_mentions, parse_date
from extraction.grounding import ground, locate, supports
from extraction.output import parse_answer
from extraction.rules import propose
from tests.conftest import CORPUS

TEXT = ("This Agreement is made on the 10th day of January, 2020 between Bunker One (USA) Inc. and "
        "Vertex  Energy\nOperating, LLC. It shall be governed by the laws of the State of New York.")


@pytest.mark.parametrize(("written", "iso"), [
    ("March 30, 2009", "2009-03-30"), ("30 March 2009", "2009-03-30"),
    ("10t h day of January, 2020", "2020-01-10"),
    ("3/30/09", "2009-03-30"), ("2021-03-03", "2021-03-03"), ("Sept. 1, 2016", "2016-09-01"),
])
def test_dates_are_read_as_iso(written, iso):
    assert parse_date(written) == iso


def test_impossible_and_partial_dates_are_not_dates():
    assert date_mentions("February 30, 2020 and March ___, 1999 and 13/45/2001") == []


def test_a_date_is_grounded_on_its_source_text_not_on_its_iso_form():
    span = locate(TEXT, "2020-01-10", is_date=True)
    assert span is not None and TEXT[span.start:span.end] == "10th day of January, 2020"


DAY_FIRST_NOTE = "GP referral\nDOB: 23/11/1950\nSeen in clinic on 05/03/2024 for review.\n"
US_NOTE = "Clinic note\nDOB: 11/23/1950\nSeen in clinic on 05/03/2024 for review.\n"


def test_an_ambiguous_slashed_date_reads_as_its_document_writes_dates():
    # the rules read the visit date day first where the note proves it (23/11), month first otherwise
    schema = {"properties": {"encounter_date": {"format": "date"}}}
    for note, iso, other in [(DAY_FIRST_NOTE, "2024-03-05", "2024-05-03"),
                             (US_NOTE, "2024-05-03", "2024-03-05")]:
        found = propose("clinical_note", note, {})
        span = found.spans["/encounter_date"]
        assert found.data["encounter_date"] == iso and note[span.start:span.end] == "05/03/2024"
        grounded = ground({"encounter_date": iso}, schema, note)
        assert "/encounter_date" in grounded.spans  # the value is grounded on the text that says it
        wrong = ground({"encounter_date": other}, schema, note)
        assert wrong.ungrounded == ["/encounter_date"]  # and the other reading is not


def test_spacing_and_case_differences_are_normalised_and_still_say_the_value():
    span = locate(TEXT, "Vertex Energy Operating, LLC")
    assert span.method == "normalised"
    assert TEXT[span.start:span.end] == "Vertex  Energy\nOperating, LLC"


def test_a_close_paraphrase_is_found_fuzzily_and_a_foreign_value_is_not():
    span = locate(TEXT, "Bunker One (USA) Incorporated")
    assert span is None or supports("Bunker One (USA) Incorporated", TEXT[span.start:span.end])
    assert locate(TEXT, "Acme Analytics Corporation") is None
    assert locate(TEXT, "Ohio") is None


def test_short_values_never_match_fuzzily():
    assert locate("governed by the laws of Iowa", "Ohio") is None


def test_ground_flags_what_the_text_does_not_say():
    data = {"governing_law": "New York", "agreement_date": "2020-01-11",
            "parties": [{"name": "Bunker One (USA) Inc.", "role": "Supplier"}]}
    result = ground(data, CONTRACT, TEXT)
    assert set(result.spans) == {"/governing_law", "/parties/0/name"}
    assert sorted(result.ungrounded) == ["/agreement_date", "/parties/0/role"]


@pytest.mark.parametrize("contract_id", ["cuad-3816e40deb", "cuad-a003628bdf", "cuad-0bb03eb953",
                                         "cuad-e3d1778756"])
def test_deterministic_extractors_ground_every_value_precisely(contract_id):
    from extraction.schemas import SchemaRef

    text = (CORPUS / "txt" / f"{contract_id}.txt").read_text()
    schema = SchemaRef("contract", "1", CONTRACT)
    proposal = propose("contract", text, schema.empty())
    assert not schema.errors(proposal.data)
    result = ground(proposal.data, CONTRACT, text, known=proposal.spans)
    # Only a value the rules worked out (an expiration from a start date and a stated term) lacks a span.
    assert result.spans and set(result.ungrounded) == proposal.computed
    for pointer, span in result.spans.items():
        value = _at(proposal.data, pointer)
        assert supports(value, text[span.start:span.end], is_date=pointer.endswith("_date")), pointer


def _at(data, pointer):
    for part in pointer.strip("/").split("/"):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


@pytest.mark.parametrize(("answer", "expected", "repairs"), [
    ('{"a": 1}', {"a": 1}, []),
    ('```json\n{"a": 1}\n```', {"a": 1}, ["strip_fences"]),
    ('Here is the JSON: {"a": 1}', {"a": 1}, ["strip_fences", "first_object"]),
    ('{"a": 1, "b": [1, 2', {"a": 1}, ["strip_fences", "first_object", "close_truncated"]),
    ('{"a": "x", "b": {"c": "trunc', {"a": "x"}, ["strip_fences", "first_object", "close_truncated"]),
])
def test_model_answers_are_repaired(answer, expected, repairs):
    assert parse_answer(answer) == (expected, repairs)


def test_hopeless_answers_stay_unparsed():
    assert parse_answer("")[0] is None
    assert parse_answer("I cannot help with that.")[0] is None


def test_clinical_note_extractors_find_codes_doses_and_vitals_where_written():
    from extraction.builtin_schemas import CLINICAL_NOTE
    from extraction.schemas import SchemaRef
    from tests.extraction.conftest import CLINICAL_NOTE as NOTE

    schema = SchemaRef("clinical_note", "1", CLINICAL_NOTE)
    proposal = propose("clinical_note", NOTE, schema.empty())
    assert not schema.errors(proposal.data)
    data = proposal.data
    assert data["encounter_date"] == "2023-04-12" and data["note_type"] == "PROGRESS NOTE"
    assert [d["icd10"] for d in data["diagnoses"]] == ["E11.9", "I10"]
    assert data["medications"][0] == {"name": "Metformin", "dose": "500 mg", "route": "PO",
                                      "frequency": "twice daily"}
    assert data["allergies"] == ["penicillin", "sulfa drugs"]
    assert {"name": "BP", "value": "142/88", "unit": "mmHg"} in data["vitals"]
    result = ground(data, CLINICAL_NOTE, NOTE, known=proposal.spans)
    assert not result.ungrounded
    for pointer, span in result.spans.items():
        assert supports(_at(data, pointer), NOTE[span.start:span.end], is_date=pointer == "/encounter_date")
