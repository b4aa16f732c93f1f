"""Regression thresholds per evaluation source, on a small committed sample of each
(``fixtures/redaction_eval``), and the contracts' must-stay text.

The thresholds sit a little under what the full sources measure (docs/BENCHMARKS.md): a change that
loses recall on any one source, or starts redacting contract parties, fails here. They are not the
headline figures: those come from ``bench/redaction_bench.py`` on the whole sources."""

from __future__ import annotations

import json

import pytest

from docintel.redaction.engine import Rules
from docintel.redaction.evaluation import Scores
from docintel.redaction.text import find_entities
from tests.conftest import FIXTURES

EVAL = FIXTURES / "redaction_eval"

# source: (records sampled from the start of the file, recall at least, F2 at least)
SAMPLES = {
    "pii_faker": (150, 0.97, 0.94),
    "clinical_faker": (40, 0.975, 0.93),
    "pii_mimesis": (150, 0.98, 0.95),
    "clinical_mimesis": (40, 0.985, 0.95),
    "../clinical_notes/heldout": (60, 0.995, 0.97),
}


def sample(name: str, count: int) -> list[dict]:
    path = EVAL / f"{name}.jsonl" if name.startswith("..") else EVAL / name / "data.jsonl"
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line, _ in zip(handle, range(count), strict=False)]


def scores_of(records: list[dict], rules: Rules) -> Scores:
    scores = Scores()
    found = find_entities([r["text"] for r in records], rules)
    for record, entities in zip(records, found, strict=True):
        predicted = [(e.start, e.end, e.type) for e in entities]
        scores.add(record["text"], record.get("spans", []), predicted, record.get("keep", ()))
    return scores


@pytest.mark.parametrize("name", SAMPLES)
def test_each_source_keeps_its_recall(engine, name):
    count, recall, f2 = SAMPLES[name]
    report = scores_of(sample(name, count), Rules(threshold=0.35, profile="clinical")).as_dict()
    assert report["recall"] >= recall, report["recall_by_type"]
    assert report["f2"] >= f2, report


def test_contract_parties_roles_and_clauses_stay_readable(engine):
    """The three CUAD contracts of fixtures/contracts with the parties, roles and clause text their
    labels name (fixtures/redaction_eval/contracts_cuad)."""
    records = []
    with open(EVAL / "contracts_cuad" / "tune_keep.jsonl", encoding="utf-8") as handle:
        for line in handle:
            entry = json.loads(line)
            text = (FIXTURES / "contracts" / "txt" / f"{entry['id']}.txt").read_text(encoding="utf-8")
            records.append({"text": text, "spans": [], "keep": entry["keep"]})
    negatives = scores_of(records, Rules(threshold=0.35, profile="contract")).as_dict()["negatives"]
    assert negatives["party"]["share_redacted"] <= 0.10, negatives
    assert negatives["role"]["share_redacted"] <= 0.02, negatives
    assert negatives["clause"]["share_redacted"] <= 0.02, negatives
