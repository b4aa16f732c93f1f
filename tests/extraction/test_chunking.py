"""Chunk planning: deterministic prompts that start at the head and go to the sections that matter."""

from __future__ import annotations

import itertools

from extraction.chunking import plan_chunks

HEAD = "MASTER AGREEMENT\n\nParties and recitals. " + "Definitions and obligations follow here. " * 60
LAW = "\n\n12. Governing Law. This Agreement is governed by the laws of the State of New York.\n\n"
TAIL = "Miscellaneous provisions. " * 200
CONTRACT = HEAD + "Boilerplate between the sections. " * 200 + LAW + TAIL


def test_the_first_chunk_is_the_head_and_ends_at_a_paragraph_or_word():
    chunks = plan_chunks(CONTRACT, "contract", size=1000, overlap=100, max_chunks=1)
    assert [c.reason for c in chunks] == ["head"]
    head = chunks[0]
    assert head.start == 0 and head.end <= 1000 and CONTRACT[head.end - 1] in " \n"


def test_a_second_chunk_goes_to_the_governing_law_section_not_to_the_next_page():
    chunks = plan_chunks(CONTRACT, "contract", size=1000, overlap=100, max_chunks=2)
    assert [c.reason for c in chunks] == ["head", "section:governing_law"]
    section = chunks[1]
    assert section.start <= CONTRACT.index("Governing Law") < section.end
    assert section.end - section.start <= 600  # a section is the clause and its surroundings


def test_page_breaks_are_preferred_ends():
    text = "word " * 400
    chunks = plan_chunks(text, "clinical_note", size=1000, overlap=0, max_chunks=1, page_offsets=[0, 900])
    assert chunks[0].end == 900


def test_the_plan_is_deterministic_and_covers_the_text_in_order_when_allowed_enough_chunks():
    first = plan_chunks(CONTRACT, "clinical_note", size=2000, overlap=100, max_chunks=50)
    assert first == plan_chunks(CONTRACT, "clinical_note", size=2000, overlap=100, max_chunks=50)
    assert first[-1].end == len(CONTRACT)
    for before, after in itertools.pairwise(first):
        assert after.start <= before.end  # overlapping, never leaving a gap


def test_only_the_sections_of_open_fields_are_read_when_the_others_are_settled():
    every = plan_chunks(CONTRACT, "contract", size=1000, overlap=100, max_chunks=3)
    assert len(every) == 3
    law = plan_chunks(CONTRACT, "contract", size=1000, overlap=100, max_chunks=3,
                      fields=frozenset({"governing_law"}))
    assert [chunk.reason for chunk in law] == ["head", "section:governing_law"]
    assert [chunk.reason for chunk in plan_chunks(CONTRACT, "contract", size=1000, overlap=100, max_chunks=3,
                                                  fields=frozenset({"document_type"}))] == ["head"]
