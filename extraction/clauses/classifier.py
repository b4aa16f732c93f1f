"""The clause classifier: for every sentence of a contract, how likely it is to be each category's
clause. Trained on the labelled contracts (``training.py``), shipped as ``classifier.npz``.

Features: the sentence's words and word pairs, the words of the heading it sits under (``h:``), and
which categories' keywords and rules it matches (``kw:``, ``rule:``), weighted by tf-idf; one logistic
regression per category. Reading it needs numpy only: the file holds the vocabulary, the idf weights,
the coefficients and the thresholds chosen by cross-validation.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .categories import BY_NAME, CATEGORIES
from .segment import Unit

ARTEFACT = Path(__file__).with_name("classifier.npz")
WORD = re.compile(r"\b\w\w+\b")
NUMBER = re.compile(r"\d")
DEFAULT_EVIDENCE_COUNT = 3  # evidence sentences per category at most, where the file does not say
HEADING_WEIGHT = 0.5  # a heading says what a section is about, less surely than the sentence itself
# Phrasings that tell a category's clause from its look-alikes, as features (``cue:``): a non-exclusive
# grant is not exclusive dealing, a termination for breach or insolvency is not one for convenience,
# a notice "unless ... before the end of the term" is the one that stops a renewal. Written while
# reading the 40 CUAD contracts the classifier is trained on, like the categories' rules.
USE_CUES = True
CUES = {
    "non-exclusive": re.compile(r"\bnon-?\s?exclusive", re.IGNORECASE),
    "exclusive-dealing": re.compile(
        r"\b(?:only|sole)\s+(?:and\s+exclusive\s+)?(?:distributor|supplier|source|provider|reseller|agent|"
        r"representative|licensee)|\bnot\s+(?:to\s+)?appoint\b|\b(?:purchase|procure|buy|obtain|order)\w*\b"
        r"[^.]{0,60}\b(?:solely|exclusively|only)\s+from\b|\bexclusive\s+(?:distributor|agent|representative|"
        r"supplier|provider|reseller|dealer)", re.IGNORECASE),
    "for-cause": re.compile(r"\b(?:breach\w*|default\w*|insolven\w*|bankrupt\w*|fails?\s+to|failure\s+to|"
                            r"uncured|cured?)\b", re.IGNORECASE),
    "notice-before-end": re.compile(
        r"\bunless\b[^.]{0,160}\bnotice\b|\bnotice\b[^.]{0,120}\b(?:prior\s+to|before|in\s+advance\s+of)\b"
        r"[^.]{0,80}\b(?:end|expir\w*|renewal)", re.IGNORECASE),
}


def features(sentence: str, heading: str) -> list[str]:
    """The tokens one sentence is described by (before counting and weighting)."""
    words = ["#" if NUMBER.search(w) else w for w in WORD.findall(sentence.lower())]
    tokens = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    tokens += [f"h:{w}" for w in WORD.findall(heading.lower()) if not NUMBER.search(w)]
    for category in CATEGORIES:
        if category.keywords and category.keyword_re.search(sentence):
            tokens.append(f"kw:{category.name}")
        if category.rules and category.rule_re.search(sentence):
            tokens.append(f"rule:{category.name}")
    if USE_CUES:
        tokens += [f"cue:{name}" for name, cue in CUES.items() if cue.search(sentence)]
    return tokens


LOOK_ALIKE_WEIGHT = 0.25  # a look-alike sentence's score counts this much when evidence is ranked


def evidence_ranking(name: str, text: str, units: list[Unit], column_scores: np.ndarray) -> np.ndarray:
    """A category's sentence scores for choosing its evidence: a look-alike of the clause (its words in a
    phrasing that says the opposite, ``Category.look_alike``) is shown only when nothing better is."""
    category = BY_NAME[name]
    if category.look_alike_re is None:
        return column_scores
    ranked = column_scores.copy()
    for row, unit in enumerate(units):
        if ranked[row] > 0 and category.look_alike(text[unit.start:unit.end]):
            ranked[row] *= LOOK_ALIKE_WEIGHT
    return ranked


def evidence_rows(ranking: np.ndarray, units: list[Unit], count: int, floor: float,
                  neighbours: float = 0.0) -> list[int]:
    """The rows shown as a category's evidence: the ``count`` best-ranked sentences at or above
    ``floor``, and with ``neighbours`` > 0 the sentences next to them ranked at least ``neighbours`` x
    ``floor``: CUAD marks whole clauses, and a clause of two or three sentences (or one cut by our
    segmentation, or marked in parts around an "<omitted>") has its second sentence scored lower than
    its first."""
    order = np.argsort(-ranking, kind="stable")[:count]
    rows = {int(row) for row in order if ranking[row] >= floor}
    if neighbours > 0:
        for row in list(rows):
            for near in (row - 1, row + 1):
                if 0 <= near < len(units) and units[near].kind == "sentence" and \
                        ranking[near] >= neighbours * floor:
                    rows.add(near)
    return sorted(rows)


def tfidf_rows(token_lists: list[list[str]], vocabulary: dict[str, int], idf: np.ndarray):
    """tf-idf rows (sublinear tf, l2-normalised), sparse as (row, column, value) arrays."""
    rows, cols, vals = [], [], []
    for row, tokens in enumerate(token_lists):
        counts: dict[int, float] = {}
        for token in tokens:
            column = vocabulary.get(token)
            if column is not None:
                counts[column] = counts.get(column, 0.0) + (HEADING_WEIGHT if token.startswith("h:") else 1.0)
        weights = {c: (1.0 + math.log(n) if n >= 1 else n) * float(idf[c]) for c, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for column, weight in weights.items():
            rows.append(row)
            cols.append(column)
            vals.append(weight / norm)
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals, dtype=np.float32)


@dataclass
class ClauseClassifier:
    vocabulary: dict[str, int]
    idf: np.ndarray  # (features,)
    coef: np.ndarray  # (features, categories)
    intercept: np.ndarray  # (categories,)
    categories: list[str]
    present: np.ndarray  # per category: a sentence at least this likely makes the clause present
    uncertain: np.ndarray  # per category: between this and ``present`` the verdict is "uncertain"
    version: str
    # per category: evidence is the best sentences scoring at least this share of the best one (chosen
    # by cross-validation, like the thresholds; 0 in files made before it existed)
    evidence_share: np.ndarray | None = None
    # per category: at most this many evidence sentences (chosen by cross-validation like the share: a
    # category CUAD marks in several places, such as exclusivity, is shown in several sentences; None in
    # files made before it existed, which showed up to ``DEFAULT_EVIDENCE_COUNT``)
    evidence_count: np.ndarray | None = None
    # per category: with a share above 0, the sentences next to an evidence sentence scoring at least this
    # share of the evidence floor are shown too (``evidence_rows``; chosen like the count; 0 where the
    # file does not say)
    evidence_neighbours: np.ndarray | None = None

    def scores(self, text: str, units: list[Unit]) -> np.ndarray:
        """(units, categories) probabilities; headings score 0 (they are never evidence)."""
        logits = np.tile(self.intercept.astype(np.float32), (len(units), 1))
        rows, cols, vals = tfidf_rows([features(text[u.start:u.end], u.heading) for u in units],
                                      self.vocabulary, self.idf)
        if len(rows):
            np.add.at(logits, rows, self.coef[cols].astype(np.float32) * vals[:, None])
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        for row, unit in enumerate(units):
            if unit.kind != "sentence":
                probabilities[row] = 0.0
        return probabilities

    def save(self, path: Path = ARTEFACT) -> None:
        terms = [""] * len(self.vocabulary)
        for term, column in self.vocabulary.items():
            terms[column] = term
        np.savez_compressed(
            path, terms=np.array(json.dumps(terms)), idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float16), intercept=self.intercept.astype(np.float32),
            categories=np.array(json.dumps(self.categories)), present=self.present.astype(np.float32),
            uncertain=self.uncertain.astype(np.float32), version=np.array(self.version),
            evidence_share=self.shares().astype(np.float32), evidence_count=self.counts().astype(np.int8),
            evidence_neighbours=self.neighbours().astype(np.float32))

    def shares(self) -> np.ndarray:
        if self.evidence_share is None:
            return np.zeros(len(self.categories), dtype=np.float32)
        return self.evidence_share

    def counts(self) -> np.ndarray:
        if self.evidence_count is None:
            return np.full(len(self.categories), DEFAULT_EVIDENCE_COUNT, dtype=np.int8)
        return self.evidence_count

    def neighbours(self) -> np.ndarray:
        if self.evidence_neighbours is None:
            return np.zeros(len(self.categories), dtype=np.float32)
        return self.evidence_neighbours

    @classmethod
    def load(cls, path: Path = ARTEFACT) -> ClauseClassifier:
        with np.load(path, allow_pickle=False) as data:
            terms = json.loads(str(data["terms"]))
            categories = json.loads(str(data["categories"]))
            unknown = [name for name in categories if name not in BY_NAME]
            if unknown:
                raise ValueError(f"the clause classifier names unknown categories: {unknown}")
            vocabulary = {term: i for i, term in enumerate(terms)}
            share = data["evidence_share"] if "evidence_share" in data.files else None
            count = data["evidence_count"] if "evidence_count" in data.files else None
            near = data["evidence_neighbours"] if "evidence_neighbours" in data.files else None
            return cls(vocabulary, data["idf"], data["coef"], data["intercept"],
                       categories, data["present"], data["uncertain"], str(data["version"]), share, count,
                       near)


@cache
def shipped() -> ClauseClassifier:
    """The classifier that ships with docintel (loaded once per process)."""
    return ClauseClassifier.load(ARTEFACT)
