"""Scoring a clause review against CUAD's labels.

Presence: per category, precision, recall and F1 of "present" over contracts (uncertain counts as not
present). Evidence overlap, on the contracts where a category is both labelled and found: a predicted
span is right when it overlaps a labelled clause, a labelled clause is found when a predicted span
overlaps it; the overlap is the F1 of those two shares, averaged over the contracts. Character
coverage (the share of labelled characters under predicted evidence) and character precision (the share
of predicted characters inside a labelled clause) are reported beside it: overlap alone would reward
evidence spans made longer than the clause.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .categories import CATEGORIES, SCHEMA_KEYS
from .cuad import GoldClause


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return min(a[1], b[1]) > max(a[0], b[0])


def evidence_overlap(predicted: list[tuple[int, int]], gold: list[GoldClause]) -> tuple[float, float, float]:
    """(overlap F1, character coverage, character precision) of predicted spans against labelled
    clauses."""
    if not predicted or not gold:
        return 0.0, 0.0, 0.0
    clauses = [(g.start, g.end) for g in gold]
    right = sum(any(_overlaps(p, g) for g in clauses) for p in predicted) / len(predicted)
    found = sum(any(_overlaps(p, g) for p in predicted) for g in clauses) / len(clauses)
    f1 = 2 * right * found / (right + found) if right + found else 0.0
    labelled: set[int] = set()
    for start, end in clauses:
        labelled.update(range(start, end))
    said: set[int] = set()
    for start, end in predicted:
        said.update(range(start, end))
    covered = len(said & labelled)
    return (f1, min(1.0, covered / len(labelled)) if labelled else 0.0,
            covered / len(said) if said else 0.0)


@dataclass
class CategoryScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    overlaps: list[float] = field(default_factory=list)
    coverage: list[float] = field(default_factory=list)
    char_precision: list[float] = field(default_factory=list)

    def as_dict(self) -> dict:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        f1 = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else None
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": _round(precision), "recall": _round(recall), "f1": _round(f1),
                "evidence_overlap": _round(_mean(self.overlaps)),
                "evidence_coverage": _round(_mean(self.coverage)),
                "evidence_precision": _round(_mean(self.char_precision))}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class ClauseScores:
    """Presence and evidence counts per category, over the contracts added."""

    def __init__(self) -> None:
        self.categories: dict[str, CategoryScore] = defaultdict(CategoryScore)
        self.contracts = 0

    def add(self, findings: dict[str, dict], gold: dict[str, list[GoldClause]],
            present: dict[str, bool]) -> None:
        self.contracts += 1
        for category in CATEGORIES:
            name = category.name
            finding = findings.get(name) or {}
            predicted = finding.get("present") is True
            score = self.categories[name]
            labelled = present[name]
            score.tp += predicted and labelled
            score.fp += predicted and not labelled
            score.fn += labelled and not predicted
            score.tn += not labelled and not predicted
            if predicted and labelled:
                spans = [(e["start"], e["end"]) for e in finding.get("evidence", [])]
                f1, coverage, precision = evidence_overlap(spans, gold[name])
                score.overlaps.append(f1)
                score.coverage.append(coverage)
                score.char_precision.append(precision)

    def micro(self, names: list[str]) -> dict:
        total = CategoryScore()
        for name in names:
            score = self.categories[name]
            total.tp += score.tp
            total.fp += score.fp
            total.fn += score.fn
            total.tn += score.tn
            total.overlaps += score.overlaps
            total.coverage += score.coverage
            total.char_precision += score.char_precision
        return total.as_dict()

    def summary(self) -> dict:
        names = [c.name for c in CATEGORIES]
        return {"contracts": self.contracts,
                "schema_keys": self.micro(list(SCHEMA_KEYS.values())),
                "all_categories": self.micro(names),
                "categories": {name: self.categories[name].as_dict() for name in names}}
