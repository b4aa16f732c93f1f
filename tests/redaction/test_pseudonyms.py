"""Pseudonyms within one document: one person, one surrogate; other identifiers, numbered tags."""

from __future__ import annotations

from docintel.redaction.pseudonyms import SURROGATE_NAMES, Pseudonymizer


def test_the_same_name_in_any_case_or_spacing_gets_the_same_surrogate_in_its_case():
    names = Pseudonymizer()
    first = names.surrogate("NAME", "John Smith")
    assert names.surrogate("NAME", "JOHN  SMITH") == first.upper()
    assert names.surrogate("NAME", "john smith") == first.lower()
    assert names.surrogate("NAME", "Jane Doe") != first


def test_other_types_get_numbered_tags_that_keep_repetition_visible():
    tags = Pseudonymizer()
    assert tags.surrogate("MRN", "123456") == "[MRN-1]"
    assert tags.surrogate("MRN", "654321") == "[MRN-2]"
    assert tags.surrogate("MRN", "123456") == "[MRN-1]"
    assert tags.surrogate("PHONE", "555-0100") == "[PHONE-1]"


def test_surrogate_names_never_run_out():
    names = Pseudonymizer()
    surrogates = {names.surrogate("NAME", f"Person {i}") for i in range(len(SURROGATE_NAMES) * 2 + 1)}
    assert len(surrogates) == len(SURROGATE_NAMES) * 2 + 1


def test_each_document_starts_afresh():
    assert Pseudonymizer().surrogate("NAME", "Ann Lee") == Pseudonymizer().surrogate("NAME", "Bo Park")
