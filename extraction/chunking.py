"""Splitting long documents into the few prompts a model reads.

Deterministic (same text, same chunks) and recorded in the extraction's ``route``. The first chunk is
always the head of the document (title, parties, dates); further chunks go to the sections that hold
the facts the head rarely does (governing law, term), found by keyword, then to the next pages.
Chunk ends snap to a page break or paragraph so that a clause is not cut mid-sentence.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

# Per schema: a section's name, how to find it, and the fields it is read for.
SECTION_KEYWORDS = {
    "contract": [
        ("governing_law", re.compile(r"governing\s+law|governed\s+by|construed\s+in\s+accordance", re.I),
         ("governing_law",)),
        ("term", re.compile(r"\bterm\b[^.]{0,120}\b(?:expire|terminat|years?|until)", re.I),
         ("expiration_date", "renewal_term")),
    ],
}


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    reason: str  # head | section:<name> | next

    def as_dict(self) -> dict:
        return asdict(self)


def _snap_end(text: str, start: int, end: int, page_offsets: list[int]) -> int:
    if end >= len(text):
        return len(text)
    floor = start + (end - start) * 3 // 4
    pages = [offset for offset in page_offsets if floor < offset <= end]
    if pages:
        return pages[-1]
    for pattern in ("\n\n", "\n", " "):
        cut = text.rfind(pattern, floor, end)
        if cut > start:
            return cut + len(pattern)
    return end


def _snap_start(text: str, start: int) -> int:
    if start <= 0:
        return 0
    cut = text.rfind("\n", max(0, start - 200), start)
    if cut < 0:
        cut = text.rfind(" ", max(0, start - 50), start)
    return cut + 1 if cut >= 0 else start


def plan_chunks(text: str, schema_name: str, *, size: int, overlap: int, max_chunks: int,
                page_offsets: list[int] | None = None, fields: frozenset[str] | None = None) -> list[Chunk]:
    """``fields``: only these are asked (the others are settled already): the head, and the sections
    read for one of them; no further pages, which are read for whatever the head and sections miss."""
    page_offsets = page_offsets or []
    chunks = [Chunk(0, 0, _snap_end(text, 0, size, page_offsets), "head")]

    def covered(position: int) -> bool:
        return any(c.start <= position < c.end for c in chunks)

    for name, pattern, section_fields in SECTION_KEYWORDS.get(schema_name, []):
        if len(chunks) >= max_chunks:
            break
        if fields is not None and not fields.intersection(section_fields):
            continue
        match = next((m for m in pattern.finditer(text) if not covered(m.start())), None)
        if match:
            # A section is shorter than the head: the clause and its surroundings, not the next pages.
            start = _snap_start(text, max(0, match.start() - overlap))
            chunks.append(Chunk(len(chunks), start, _snap_end(text, start, start + size // 2, page_offsets),
                                f"section:{name}"))
    while fields is None and len(chunks) < max_chunks and max(c.end for c in chunks) < len(text):
        start = _snap_start(text, max(c.end for c in chunks) - overlap)
        chunks.append(Chunk(len(chunks), start, _snap_end(text, start, start + size, page_offsets), "next"))
    return chunks
