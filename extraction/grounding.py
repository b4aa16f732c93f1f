"""Grounding: tie every extracted value to the characters of the document that say it.

A value is looked for exactly, then with case, spacing and punctuation normalised, then fuzzily (a
paraphrase close enough to its source). Whatever way it was found, a span is only kept when the text
under it *supports* the value (``supports``): a date span must read as the same date, a text span
must say the same words. A value with no such span is ungrounded, never shown as grounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from . import pointers
from .builtin_schemas import ISO_DATE
from .dates import date_mentions, reading, writes_day_first

FUZZY_MIN_SCORE = 92.0  # paraphrase tolerance; below this a span is not trusted to say the value
FUZZY_MIN_LENGTH = 12  # short values must match exactly (after normalising): "Ohio" ~ "Ohio Co." is wrong
WORD = re.compile(r"\w+")

# How sure a span makes us, by the way it was found.
METHOD_CONFIDENCE = {"exact": 1.0, "normalised": 0.9, "date": 0.95, "fuzzy": 0.75}


def normalise(value: str) -> str:
    """Words only, case-folded: what two spellings of the same text share."""
    return " ".join(WORD.findall(value.casefold()))


def is_date_spec(spec: dict) -> bool:
    return spec.get("pattern") == ISO_DATE or spec.get("format") == "date"


def supports(value, written: str, *, is_date: bool = False, day_first: bool = False) -> bool:
    """Whether ``written`` (the text under a span) says ``value``; ``day_first``: the document writes
    its slashed dates day first (``dates.writes_day_first``), so 05/03/2024 says 5 March."""
    if is_date:
        return reading(written, day_first=day_first) == value
    if not WORD.search(str(value)):  # a symbol ("%", "/min") can only be itself
        return written == str(value)
    wanted, seen = normalise(str(value)), normalise(written)
    if not wanted or not seen:
        return False
    if wanted == seen:
        return True
    similarity = Indel.normalized_similarity(wanted, seen) * 100
    return len(wanted) >= FUZZY_MIN_LENGTH and similarity >= FUZZY_MIN_SCORE


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    method: str

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end}


def _nearest(starts: list[tuple[int, int]], near: int | None) -> tuple[int, int]:
    return min(starts, key=lambda s: abs(s[0] - near)) if near is not None else starts[0]


def _lower_same_length(text: str) -> str:
    # str.lower() can change the length of a few characters (İ); alignment offsets must not move.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def locate(text: str, value, *, is_date: bool = False, window: tuple[int, int] | None = None,
           near: int | None = None, day_first: bool = False) -> Span | None:
    """Find where ``text[window]`` says ``value``; None when nowhere."""
    lo, hi = window or (0, len(text))
    if is_date:
        found = [(m.start, m.end) for m in date_mentions(text, lo, hi)
                 if (reading(text[m.start:m.end], day_first=True) if day_first else m.iso) == value]
        return Span(*_nearest(found, near), "date") if found else None
    value = str(value).strip()
    if not value:
        return None
    exact = [(m.start(), m.end()) for m in re.finditer(re.escape(value), text[lo:hi])]
    if exact:
        start, end = _nearest(exact, None if near is None else near - lo)
        return Span(lo + start, lo + end, "exact")
    if not WORD.search(value):
        return None
    words = WORD.findall(value)
    loose = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)
    spaced = [(m.start(), m.end()) for m in loose.finditer(text, lo, hi)]
    if spaced:
        return Span(*_nearest(spaced, near), "normalised")
    if len(normalise(value)) < FUZZY_MIN_LENGTH:
        return None
    region = _lower_same_length(text[lo:hi])
    alignment = fuzz.partial_ratio_alignment(value.lower(), region, score_cutoff=FUZZY_MIN_SCORE)
    if alignment is None:
        return None
    start, end = _widen_to_words(text, lo + alignment.dest_start, lo + alignment.dest_end)
    return Span(start, end, "fuzzy") if supports(value, text[start:end]) else None


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    return start, end


def leaves(data, spec: dict, pointer: str = "") -> Iterator[tuple[str, object, dict]]:
    """(JSON pointer, value, schema of the value) for every non-empty scalar in ``data``."""
    if isinstance(data, dict):
        properties = spec.get("properties", {})
        for key, value in data.items():
            yield from leaves(value, properties.get(key, {}), f"{pointer}/{pointers.escape(key)}")
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from leaves(item, spec.get("items", {}), f"{pointer}/{index}")
    elif data is not None and data != "":
        yield pointer, data, spec


@dataclass
class Grounding:
    spans: dict[str, Span]  # pointer -> where the text says it
    ungrounded: list[str]  # pointers of values the text does not say

    def confidence(self, pointer: str) -> float:
        span = self.spans.get(pointer)
        return METHOD_CONFIDENCE[span.method] if span else 0.0


def ground(data: dict, schema: dict, text: str, *, known: dict[str, Span] | None = None,
           window: tuple[int, int] | None = None, near: int | None = None) -> Grounding:
    """Ground every leaf of ``data``. ``known`` spans (from deterministic extractors) are re-checked,
    not trusted; other values are searched in ``window`` first, then in the whole text (exact only)."""
    known = known or {}
    spans, ungrounded = {}, []
    day_first = writes_day_first(text)
    for pointer, value, spec in leaves(data, schema):
        is_date = is_date_spec(spec)
        says = partial(supports, value, is_date=is_date, day_first=day_first)
        span = known.get(pointer)
        if span is None or not says(text[span.start:span.end]):
            span = locate(text, value, is_date=is_date, window=window, near=near, day_first=day_first)
        if span is None and window is not None:
            whole = locate(text, value, is_date=is_date, near=near, day_first=day_first)
            span = whole if whole is not None and whole.method in ("exact", "date") else None
        if span is not None and says(text[span.start:span.end]):
            spans[pointer] = span
        else:
            ungrounded.append(pointer)
    return Grounding(spans, ungrounded)
