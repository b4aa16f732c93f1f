"""Training the clause classifier on labelled contracts, and cross-validating it.

    .venv/bin/python -m extraction.clauses.training ../shared/corpus/contracts/labels.jsonl

writes ``extraction/clauses/classifier.npz`` (the file that ships). Folds are split by contract, so a
contract's sentences are never both trained on and scored. Thresholds are chosen on out-of-fold scores
of the training contracts only (an inner split), then the classifier is fitted on all of them.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .categories import CATEGORIES
from .classifier import (
    ARTEFACT,
    DEFAULT_EVIDENCE_COUNT,
    ClauseClassifier,
    evidence_ranking,
    evidence_rows,
    features,
    tfidf_rows,
)
from .cuad import GoldClause, gold_clauses, is_present
from .scoring import evidence_overlap
from .segment import Unit, segment

REVIEWED = [category.name for category in CATEGORIES if not category.metadata]
MIN_FEATURE_CONTRACTS = 2  # a word seen in one contract only is that contract's, not the category's
MAX_FEATURES = 20000
REGULARISATION = 4.0  # logistic regression's C, chosen by cross-validation on the 40 CUAD contracts
UNCERTAIN_SHARE = 0.6  # a best sentence scoring from 60% of the threshold up to it is "uncertain"
SEED = 0


@dataclass
class LabelledContract:
    id: str
    text: str
    units: list[Unit]
    gold: dict[str, list[GoldClause]]
    present: dict[str, bool]

    def unit_labels(self, category: str) -> np.ndarray:
        """1 for each unit that is (mostly) part of a labelled clause of ``category``."""
        labels = np.zeros(len(self.units), dtype=np.int8)
        for row, unit in enumerate(self.units):
            for clause in self.gold[category]:
                shared = min(unit.end, clause.end) - max(unit.start, clause.start)
                if shared > 0 and (shared >= 0.5 * (unit.end - unit.start)
                                   or shared >= 0.5 * (clause.end - clause.start)):
                    labels[row] = 1
                    break
        return labels


def labelled_contract(contract_id: str, text: str, labels: dict) -> LabelledContract:
    return LabelledContract(contract_id, text, segment(text), gold_clauses(text, labels),
                            {category.name: is_present(labels, category.name) for category in CATEGORIES})


def _tokens(contract: LabelledContract) -> list[list[str]]:
    return [features(contract.text[u.start:u.end], u.heading) for u in contract.units]


def _matrix(token_lists: list[list[str]], vocabulary: dict[str, int], idf: np.ndarray):
    from scipy.sparse import csr_matrix

    rows, cols, vals = tfidf_rows(token_lists, vocabulary, idf)
    return csr_matrix((vals, (rows, cols)), shape=(len(token_lists), len(vocabulary)), dtype=np.float32)


def _vocabulary(contracts: list[LabelledContract], tokens: dict[str, list[list[str]]]):
    """Features seen in at least two training contracts (the most frequent ones), with their idf."""
    contract_count: dict[str, int] = {}
    unit_count: dict[str, int] = {}
    units = 0
    for contract in contracts:
        seen = set()
        for unit_tokens in tokens[contract.id]:
            units += 1
            for token in set(unit_tokens):
                unit_count[token] = unit_count.get(token, 0) + 1
                seen.add(token)
        for token in seen:
            contract_count[token] = contract_count.get(token, 0) + 1
    kept = [t for t, n in contract_count.items()
            if n >= MIN_FEATURE_CONTRACTS or t.startswith(("kw:", "rule:"))]
    kept.sort(key=lambda t: (-unit_count[t], t))
    kept = sorted(kept[:MAX_FEATURES])
    vocabulary = {token: column for column, token in enumerate(kept)}
    idf = np.array([np.log((1 + units) / (1 + unit_count[t])) + 1 for t in kept], dtype=np.float32)
    return vocabulary, idf


def _fit_weights(contracts, tokens, vocabulary, idf, only: frozenset[str] | None = None):
    from sklearn.linear_model import LogisticRegression

    matrix = _matrix([t for c in contracts for t in tokens[c.id]], vocabulary, idf)
    coef = np.zeros((len(vocabulary), len(REVIEWED)), dtype=np.float32)
    intercept = np.full(len(REVIEWED), -10.0, dtype=np.float32)  # never seen: never present
    for column, name in enumerate(REVIEWED):
        if only is not None and name not in only:
            continue  # a quick evaluation of a few categories: the others stay "never present"
        labels = np.concatenate([c.unit_labels(name) for c in contracts])
        if labels.sum() == 0:
            continue
        model = LogisticRegression(C=REGULARISATION, class_weight="balanced", solver="liblinear")
        model.fit(matrix, labels)
        coef[:, column] = model.coef_[0]
        intercept[column] = model.intercept_[0]
    return coef, intercept


THRESHOLD_TIES = "middle"


def _best_threshold(best_scores: list[float], truth: list[bool]) -> float:
    """The presence threshold with the best F1 over these contracts. Every threshold between two
    contracts' scores gives the same F1; of the best ones, the middle of the run is taken (the middle
    of the gap between the scores either side), which moves least when the next contract's scores
    come from another model. A category no threshold finds keeps the highest one (never present)."""
    grid = np.linspace(0.05, 0.99, 95)  # below 0.05 a rare category would be "present" everywhere
    said = np.asarray(best_scores, dtype=np.float64)[None, :] >= grid[:, None]  # (thresholds, contracts)
    labelled = np.asarray(truth, dtype=bool)[None, :]
    tp = (said & labelled).sum(axis=1)
    wrong = (said != labelled).sum(axis=1)  # false positives and false negatives
    f1s = [float(2 * t / (2 * t + w)) if t else 0.0 for t, w in zip(tp, wrong, strict=True)]
    top = max(f1s)
    best = [i for i, f1 in enumerate(f1s) if f1 == top]
    if top == 0.0 or THRESHOLD_TIES == "high":  # never right on these contracts: never say present
        return float(grid[best[-1]])
    run = [best[-1]]  # the highest run of best thresholds: the other runs trade errors alike
    while run[0] - 1 in best:
        run.insert(0, run[0] - 1)
    return float(grid[run[len(run) // 2]])


THRESHOLD_BAGS = 200  # bootstrap resamples of the training contracts the presence threshold is chosen on


def _bagged_threshold(best_scores: list[float], truth: list[bool], bags: int = THRESHOLD_BAGS) -> float:
    """The median of the best thresholds (``_best_threshold``) over bootstrap resamples of the training
    contracts. With 6-18 positive contracts per key, the single best threshold on 32 contracts jumps with
    one contract's score; the median over resamples is the threshold that stays best when the contracts
    vary, which is what the next, unseen contract is. A category that no resample finds stays "never
    present" (the highest threshold)."""
    if not any(truth):
        return _best_threshold(best_scores, truth)
    scores, labels = np.array(best_scores, dtype=np.float64), np.array(truth, dtype=bool)
    draw = np.random.default_rng(SEED)
    picks = []
    for _ in range(bags):
        chosen = draw.integers(0, len(scores), len(scores))
        if labels[chosen].any():
            picks.append(_best_threshold(list(scores[chosen]), list(labels[chosen])))
    return float(np.median(picks)) if picks else _best_threshold(best_scores, truth)


def folds(contracts: list[LabelledContract], count: int, seed: int = SEED) -> list[list[int]]:
    order = list(range(len(contracts)))
    random.Random(seed).shuffle(order)
    return [sorted(order[k::count]) for k in range(count)]


INNER_FOLDS = 4


def fit(contracts: list[LabelledContract], *, inner_folds: int = 0, version: str = "trained",
        tokens: dict[str, list[list[str]]] | None = None,
        only: frozenset[str] | None = None) -> ClauseClassifier:
    """A classifier fitted on ``contracts``, its thresholds chosen by an inner split of them."""
    tokens = tokens or {c.id: _tokens(c) for c in contracts}
    best: dict[str, list[float]] = {name: [] for name in REVIEWED}
    truth: dict[str, list[bool]] = {name: [] for name in REVIEWED}
    # (contract, its scores for the category) where the clause is labelled: to choose the evidence share
    # and their evidence ranking (``evidence_ranking``)
    labelled: dict[str, list[tuple[LabelledContract, np.ndarray, np.ndarray]]] = {n: [] for n in REVIEWED}
    for held in folds(contracts, inner_folds or INNER_FOLDS):
        held_out = [contracts[i] for i in held]
        trained = _fit_and_wrap([c for i, c in enumerate(contracts) if i not in held], tokens, only=only)
        for contract in held_out:
            scores = trained.scores(contract.text, contract.units)
            for column, name in enumerate(REVIEWED):
                # presence reads the ranking, as the review does: a look-alike counts at its weight
                column_scores = scores[:, column]
                ranking = evidence_ranking(name, contract.text, contract.units, column_scores)
                best[name].append(float(ranking.max(initial=0.0)))
                truth[name].append(contract.present[name])
                if contract.present[name]:
                    labelled[name].append((contract, column_scores, ranking))
    model = _fit_and_wrap(contracts, tokens, version, only)
    model.present = np.array([_bagged_threshold(best[n], truth[n]) for n in REVIEWED], dtype=np.float32)
    model.uncertain = model.present * UNCERTAIN_SHARE
    chosen = [_best_evidence(labelled[n], n, float(t)) for n, t in zip(REVIEWED, model.present, strict=True)]
    model.evidence_share = np.array([share for share, _, _ in chosen], dtype=np.float32)
    model.evidence_count = np.array([count for _, count, _ in chosen], dtype=np.int8)
    model.evidence_neighbours = np.array([near for _, _, near in chosen], dtype=np.float32)
    return model


EVIDENCE_SHARES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9)
EVIDENCE_COUNTS = (1, 2, 3, 4, 5)
EVIDENCE_NEIGHBOURS = (0.0, 0.5)  # 0: no neighbours; 0.5: neighbours at half the floor (``evidence_rows``)


def _best_evidence(labelled: list[tuple[LabelledContract, np.ndarray, np.ndarray]], name: str,
                   threshold: float) -> tuple[float, int, float]:
    """The evidence share, the most sentences shown and the neighbours' share with the best mean evidence
    overlap on these contracts (those found present at ``threshold``). Ties: no neighbours, then the
    larger share, then the fewer sentences (less to read)."""
    found = [(c, ranking) for c, s, ranking in labelled if len(s) and float(ranking.max()) >= threshold]
    if not found:
        return 0.0, DEFAULT_EVIDENCE_COUNT, 0.0
    best, best_overlap = (0.0, DEFAULT_EVIDENCE_COUNT, 0.0), -1.0
    for near in sorted(EVIDENCE_NEIGHBOURS, reverse=True):
        for share in EVIDENCE_SHARES:
            for count in sorted(EVIDENCE_COUNTS, reverse=True):
                overlaps = []
                for contract, scores in found:
                    top = float(scores.max())
                    floor = max(min(threshold, top), share * top)
                    rows = evidence_rows(scores, contract.units, count, floor, near)
                    spans = [(contract.units[r].start, contract.units[r].end) for r in rows]
                    overlaps.append(evidence_overlap(spans, contract.gold[name])[0])
                overlap = float(np.mean(overlaps))
                if overlap >= best_overlap:
                    best, best_overlap = (share, count, near), overlap
    return best


def _fit_and_wrap(contracts, tokens, version: str = "inner", only: frozenset[str] | None = None
                  ) -> ClauseClassifier:
    vocabulary, idf = _vocabulary(contracts, tokens)
    coef, intercept = _fit_weights(contracts, tokens, vocabulary, idf, only)
    half = np.full(len(REVIEWED), 0.5, dtype=np.float32)
    return ClauseClassifier(vocabulary, idf, coef, intercept, list(REVIEWED), half, half * UNCERTAIN_SHARE,
                            version)


def cross_validate(contracts: list[LabelledContract], *, fold_count: int = 5,
                   progress: Callable[[str], None] | None = None,
                   only: frozenset[str] | None = None) -> dict[str, ClauseClassifier]:
    """For each contract, a classifier that never saw it: {contract id: classifier}. ``only``: fit
    these categories alone (a quick loop over a few of them; the others are never present)."""
    tokens = {c.id: _tokens(c) for c in contracts}
    trained_for = {}
    for number, held in enumerate(folds(contracts, fold_count), 1):
        if progress:
            progress(f"fold {number}/{fold_count}")
        model = fit([c for i, c in enumerate(contracts) if i not in held], tokens=tokens,
                    version=f"cv-fold-{number}", only=only)
        for i in held:
            trained_for[contracts[i].id] = model
    return trained_for


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the shipped clause classifier.")
    parser.add_argument("labels", type=Path)
    parser.add_argument("--format", choices=("txt", "pdf"), default="txt",
                        help="the corpus' reference text (its labels were made on it) or parsed PDFs")
    parser.add_argument("--out", type=Path, default=ARTEFACT)
    args = parser.parse_args()
    if args.format == "pdf":
        import os

        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docintel.settings")
        django.setup()
    from .corpus import read_corpus

    contracts = read_corpus(args.labels, args.format)
    model = fit(contracts, version=f"cuad-{len(contracts)}-{args.format}")
    model.save(args.out)
    print(f"trained on {len(contracts)} contracts, {len(model.vocabulary)} features -> {args.out}")


if __name__ == "__main__":
    main()
