"""Clause review of a contract: CUAD's 41 categories, each present, absent or uncertain, with the
sentences that say so (character offsets) and a normalised value where the category has one.

The contract is cut into headings and sentences (``segment``); the classifier scores every sentence
for every category (its features include the categories' keywords and rules, so rules find the
candidates and the classifier weighs them); a category is present when its best sentence reaches the
threshold chosen by cross-validation, uncertain a little below it. Evidence is always whole sentences
of the text, never a heading, so it is grounded by construction. The six metadata categories (name,
parties, dates, governing law) come from the extraction's own grounded fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .categories import BY_NAME, CATEGORIES, SCHEMA_KEYS
from .classifier import ClauseClassifier, evidence_ranking, evidence_rows, shipped
from .segment import Unit, segment
from .values import NORMALISERS

# Metadata categories and the extraction fields they are read from.
METADATA_FIELDS = {"Document Name": "document_name", "Parties": "parties", "Agreement Date": "agreement_date",
                   "Effective Date": "effective_date", "Expiration Date": "expiration_date",
                   "Governing Law": "governing_law"}
# Categories whose evidence is the whole sentence around the value (CUAD marks the clause), not the
# value's own words (CUAD marks the name or the date).
SENTENCE_EVIDENCE = {"Governing Law", "Expiration Date"}


@dataclass
class ClauseFinding:
    present: bool | None
    evidence: list[tuple[int, int]] = field(default_factory=list)
    value: object = None
    confidence: float = 0.0
    source: str = "classifier"  # classifier | fields (the metadata categories)

    def as_dict(self) -> dict:
        return {"present": self.present, "evidence": [{"start": s, "end": e} for s, e in self.evidence],
                "value": self.value, "confidence": round(float(self.confidence), 3)}


@dataclass
class ClauseReview:
    findings: dict[str, ClauseFinding]
    units: list[Unit]
    scores: np.ndarray  # (units, classified categories) array of the classifier
    classified: list[str]  # the categories (columns of ``scores``) the classifier decided
    classifier_version: str
    metadata_names = frozenset(METADATA_FIELDS)

    def as_dict(self) -> dict:
        return {name: self.findings[name].as_dict() for name in (c.name for c in CATEGORIES)}

    def score_of(self, name: str, span: tuple[int, int]) -> float:
        """The classifier's score of the sentence at ``span`` for category ``name``."""
        if name not in self.classified:
            return 0.0
        column = self.classified.index(name)
        for row, unit in enumerate(self.units):
            if (unit.start, unit.end) == span:
                return float(self.scores[row, column])
        return 0.0


def _sentence_around(units: list[Unit], start: int, end: int) -> tuple[int, int]:
    for unit in units:
        if unit.kind == "sentence" and unit.start <= start and end <= unit.end:
            return unit.start, unit.end
    return start, end


def _value(name: str, text: str, evidence: list[tuple[int, int]]):
    normalise = NORMALISERS.get(name)
    if normalise is None:
        return None
    for start, end in evidence:
        found = normalise(text, start, end)
        if found is not None:
            return found.value
    return None


def _classified(name: str, column: int, text: str, units: list[Unit], scores, model: ClauseClassifier):
    # Presence and evidence read the same ranking: a look-alike of the clause ("a non-exclusive
    # licence") counts at its weight, so it neither makes the clause present nor shows as its evidence.
    ranking = evidence_ranking(name, text, units, scores[:, column])
    best = float(ranking.max(initial=0.0))
    threshold, doubtful = float(model.present[column]), float(model.uncertain[column])
    if best < doubtful:
        return ClauseFinding(False, confidence=_confidence(best, threshold))
    floor = max(min(threshold, best), float(model.shares()[column]) * best)
    chosen = evidence_rows(ranking, units, int(model.counts()[column]), floor,
                           float(model.neighbours()[column]))
    evidence = [(units[row].start, units[row].end) for row in chosen]
    present = True if best >= threshold else None
    return ClauseFinding(present, evidence, _value(name, text, evidence), _confidence(best, threshold))


def _confidence(best: float, threshold: float) -> float:
    """How sure the verdict is, 0.5 at the threshold (the scores themselves are not calibrated: the
    thresholds cross-validation chose range from 0.05 to 0.99)."""
    if best >= threshold:
        return 0.5 + 0.5 * (best - threshold) / max(1e-6, 1.0 - threshold)
    return 0.5 + 0.5 * (threshold - best) / max(1e-6, threshold)


def _from_fields(name: str, text: str, units: list[Unit], data: dict, grounding: dict) -> ClauseFinding:
    key = METADATA_FIELDS[name]
    value = data.get(key)
    if name == "Parties":
        value = [party.get("name") for party in value or [] if party.get("name")]
        spans = [span for pointer, found in grounding.items() if pointer.startswith("/parties/")
                 and pointer.endswith("/name") for span in found]
    else:
        spans = grounding.get(f"/{key}") or []
    if not value:
        return ClauseFinding(False, confidence=0.5, source="fields")
    evidence = [(s["start"], s["end"]) for s in spans]
    if name in SENTENCE_EVIDENCE:
        evidence = [_sentence_around(units, start, end) for start, end in evidence]
    return ClauseFinding(True if evidence else None, sorted(set(evidence)), value,
                         0.9 if evidence else 0.3, source="fields")


def review_clauses(text: str, *, data: dict | None = None, grounding: dict | None = None,
                   classifier: ClauseClassifier | None = None) -> ClauseReview:
    """Review ``text``: every CUAD category. ``data``/``grounding`` are the extraction's fields (for the
    metadata categories); ``classifier`` defaults to the shipped one."""
    model = classifier or shipped()
    units = segment(text)
    scores = model.scores(text, units)
    findings: dict[str, ClauseFinding] = {}
    for column, name in enumerate(model.categories):
        findings[name] = _classified(name, column, text, units, scores, model)
    for name in METADATA_FIELDS:
        findings[name] = _from_fields(name, text, units, data or {}, grounding or {})
    for category in CATEGORIES:
        findings.setdefault(category.name, ClauseFinding(None, confidence=0.0))
    _apply_requirements(findings)
    return ClauseReview(findings, units, scores, list(model.categories), model.version)


def _apply_requirements(findings: dict[str, ClauseFinding]) -> None:
    """A category that only exists with another (``Category.requires``: a notice to stop a renewal needs
    a renewal) is absent where that one is absent, and at most uncertain where it is uncertain; its
    evidence stays with an uncertain verdict for the reviewer."""
    for category in CATEGORIES:
        finding = findings[category.name]
        if category.requires is None or not finding.present:
            continue
        needed = findings[category.requires].present
        if needed is False:
            findings[category.name] = ClauseFinding(False, confidence=finding.confidence,
                                                    source=finding.source)
        elif needed is None:
            findings[category.name] = ClauseFinding(None, finding.evidence, finding.value, finding.confidence,
                                                    finding.source)


def settle_with_rules(text: str, review: ClauseReview) -> ClauseReview:
    """The hybrid: an uncertain verdict becomes present when one of the category's rules matches its
    evidence, absent when none does."""
    settled = dict(review.findings)
    for name, finding in review.findings.items():
        if finding.present is None and finding.source == "classifier":
            rule = BY_NAME[name].rule_re
            hits = [span for span in finding.evidence if rule.search(text, *span)]
            settled[name] = (ClauseFinding(True, hits, _value(name, text, hits), finding.confidence)
                             if hits else ClauseFinding(False, confidence=finding.confidence))
    return ClauseReview(settled, review.units, review.scores, review.classified, review.classifier_version)


def schema_clause_fields(text: str, review: ClauseReview) -> dict[str, tuple[str, tuple[int, int]] | None]:
    """The contract schema's clause keys filled from the review: the first evidence sentence, as
    written, with its span; None where the clause is absent or uncertain."""
    filled: dict[str, tuple[str, tuple[int, int]] | None] = {}
    for key, name in SCHEMA_KEYS.items():
        finding = review.findings[name]
        if finding.present and finding.evidence:
            start, end = max(finding.evidence, key=lambda span: review.score_of(name, span))
            filled[key] = (text[start:end], (start, end))
        else:
            filled[key] = None
    return filled
