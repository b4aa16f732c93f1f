"""What the clause review is measured against, on the same sentences: a keyword search (a sentence with
one of the category's search words makes it present; the first such sentence is the evidence) and the
rules alone (every sentence a stock phrasing matches, the first three as evidence)."""

from __future__ import annotations

from .categories import CATEGORIES
from .segment import Unit

MAX_EVIDENCE = 3


def _search(text: str, units: list[Unit], attribute: str, keep: int) -> dict[str, dict]:
    findings = {}
    for category in CATEGORIES:
        pattern = getattr(category, attribute)
        hits = [u for u in units if u.kind == "sentence" and pattern.search(text, u.start, u.end)]
        findings[category.name] = {"present": bool(hits),
                                   "evidence": [{"start": u.start, "end": u.end} for u in hits[:keep]],
                                   "value": None, "confidence": 1.0 if hits else 0.0}
    return findings


def keyword_search(text: str, units: list[Unit]) -> dict[str, dict]:
    return _search(text, units, "keyword_re", 1)


def rules_only(text: str, units: list[Unit]) -> dict[str, dict]:
    return _search(text, units, "rule_re", MAX_EVIDENCE)
