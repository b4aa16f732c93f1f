"""CUAD's labels (the contracts corpus' ``labels.jsonl``) as character spans of a contract's text.

Each category's column holds the clause texts the annotators marked (a Python list literal), with
``<omitted>`` where they left out a part; its ``-Answer`` column holds the normalised answer. A clause is
found in the text with spacing ignored (PDF text and the corpus' text wrap lines differently).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .categories import CATEGORIES

OMITTED = "<omitted>"
MIN_PART_CHARS = 3


@dataclass(frozen=True)
class GoldClause:
    category: str
    start: int
    end: int


class SpacedText:
    """``text`` with runs of whitespace as one space, and the way back to the original offsets."""

    def __init__(self, text: str) -> None:
        parts, origin = [], []
        previous_space = False
        for index, char in enumerate(text):
            space = char.isspace()
            if space and previous_space:
                continue
            parts.append(" " if space else _fold(char))
            origin.append(index)
            previous_space = space
        self.text = "".join(parts)
        self.origin = origin
        self.length = len(text)

    def find(self, needle: str, start: int = 0) -> tuple[int, int] | None:
        key = "".join(" " if c.isspace() else _fold(c) for c in " ".join(needle.split()))
        if not key:
            return None
        at = self.text.find(key, start)
        if at < 0:
            return None
        return self.origin[at], self.origin[at + len(key) - 1] + 1


_QUOTES = str.maketrans({
    "\u201c": '"',
    "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u02ba": '"', "\u2013": "-", "\u2014": "-"})


def _fold(char: str) -> str:
    return char.translate(_QUOTES)


def clause_texts(labels: dict, category: str) -> list[str]:
    raw = labels.get(category) or "[]"
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def gold_clauses(text: str, labels: dict, spaced: SpacedText | None = None) -> dict[str, list[GoldClause]]:
    """Every labelled clause of every category, located in ``text``. A part not found is left out."""
    spaced = spaced or SpacedText(text)
    found: dict[str, list[GoldClause]] = {}
    for category in CATEGORIES:
        spans = []
        for clause in clause_texts(labels, category.name):
            for part in clause.split(OMITTED):
                if len(part.strip()) < MIN_PART_CHARS:
                    continue
                at = spaced.find(part)
                if at is not None:
                    spans.append(GoldClause(category.name, *at))
        found[category.name] = spans
    return found


def is_present(labels: dict, category: str) -> bool:
    """CUAD's verdict: a category is present when a clause was marked for it."""
    return bool(clause_texts(labels, category))
