"""Scoring extractions against CUAD labels (the contracts corpus' ``labels.jsonl``).

Fields scored: document name, parties, agreement/effective/expiration date, governing law. A label that
cannot be compared (a partial date such as ``03/[]/1999``, a redacted ``[* * *]``, "perpetual") is left
out of that field's count. Grounding precision is checked on every span: the text under it must say
the value (``grounding.supports``), whatever the label says.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from .dates import writes_day_first
from .grounding import is_date_spec, leaves, normalise, supports

LABEL_COLUMNS = {"document_name": "Document Name-Answer", "parties": "Parties-Answer",
                 "agreement_date": "Agreement Date-Answer", "effective_date": "Effective Date-Answer",
                 "expiration_date": "Expiration Date-Answer", "governing_law": "Governing Law-Answer"}
US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})\s*$")
NAME_MATCH = 85  # token-set similarity for names written slightly differently ("Inc." vs "Inc")


class NotComparable(Exception):
    """The label cannot be compared with a value (partial, redacted, not a date)."""


def label_date(answer: str) -> str | None:
    if not answer.strip():
        return None
    match = US_DATE.match(answer)
    if not match:
        raise NotComparable
    month, day, year = (int(g) for g in match.groups())
    year += (2000 if year < 50 else 1900) if year < 100 else 0
    return f"{year:04d}-{month:02d}-{day:02d}"


def label_parties(answer: str) -> list[str]:
    names = []
    for part in answer.split(";"):
        name = re.sub(r"\([^)]*\)?|[\"“”]", "", part).strip(" ,")
        if name and name[0].isupper():
            names.append(name)
    return names


def _same_name(a: str, b: str) -> bool:
    return fuzz.token_set_ratio(normalise(a), normalise(b)) >= NAME_MATCH


def score_field(name: str, value, answer: str) -> float:
    """1.0 right, 0.0 wrong; parties score the share of labelled parties found."""
    if name.endswith("_date"):
        return float(label_date(answer) == value)
    if name == "governing_law":
        if "[*" in answer:
            raise NotComparable
        options = [normalise(o) for o in answer.split(";") if o.strip()]
        if not options:
            return float(not value)
        return float(bool(value) and any(normalise(value) in o or o in normalise(value) for o in options))
    if name == "document_name":
        lines = [line for line in answer.splitlines() if line.strip()]
        if not lines:
            return float(not value)
        return float(bool(value) and any(fuzz.ratio(normalise(value), normalise(line)) >= 90
                                         for line in lines))
    if name == "parties":
        expected = label_parties(answer)
        found = [p.get("name") or "" for p in value or []]
        if not expected:
            return float(not found)
        return sum(any(_same_name(e, f) for f in found) for e in expected) / len(expected)
    raise ValueError(name)


def grounding_check(record: dict, schema: dict, text: str) -> tuple[int, int]:
    """(spans that say their value, spans) over one extract record."""
    values = {pointer: (value, spec) for pointer, value, spec in leaves(record["data"], schema)}
    good = total = 0
    day_first = writes_day_first(text)
    for pointer, spans in record["grounding"].items():
        for span in spans:
            total += 1
            value, spec = values.get(pointer, (None, {}))
            inside = 0 <= span["start"] < span["end"] <= len(text)
            good += inside and value is not None and supports(
                value, text[span["start"]:span["end"]], is_date=is_date_spec(spec), day_first=day_first)
    return good, total


def score_record(record: dict, labels: dict, schema: dict, text: str) -> dict:
    """One extract record against its labels: field scores, grounding (good, total), ungrounded count."""
    scores = {}
    for name, column in LABEL_COLUMNS.items():
        try:
            scores[name] = score_field(name, record["data"].get(name), labels.get(column, ""))
        except NotComparable:
            continue
    return {"scores": scores, "grounding": grounding_check(record, schema, text),
            "ungrounded": sum(1 for spans in record["grounding"].values() if not spans)}


@dataclass
class Scores:
    fields: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    grounded_good: int = 0
    grounded_total: int = 0
    ungrounded: int = 0
    documents: int = 0
    invalid: int = 0

    def add(self, record: dict, labels: dict, schema: dict, text: str) -> dict[str, float]:
        self.documents += 1
        self.invalid += not record["valid"]
        scored = score_record(record, labels, schema, text)
        self.grounded_good += scored["grounding"][0]
        self.grounded_total += scored["grounding"][1]
        self.ungrounded += scored["ungrounded"]
        for name, score in scored["scores"].items():
            self.fields[name].append(score)
        return scored["scores"]

    def summary(self) -> dict:
        accuracy = {name: round(sum(v) / len(v), 3) for name, v in self.fields.items() if v}
        every = [s for v in self.fields.values() for s in v]
        return {
            "documents": self.documents, "invalid": self.invalid,
            "field_accuracy": accuracy, "field_counts": {n: len(v) for n, v in self.fields.items()},
            "mean_accuracy": round(sum(every) / len(every), 3) if every else None,
            "grounding_precision": round(self.grounded_good / self.grounded_total, 4)
            if self.grounded_total else None,
            "grounded_spans": self.grounded_total, "ungrounded_values": self.ungrounded,
        }


HELD_OUT_EVERY = 4


def held_out_fold(contract_ids: list[str]) -> set[str]:
    """The contracts kept back when the metadata rules are changed: every 4th by sorted id (10 of the
    40), fixed before any of their errors were read. Rules are changed on the others' errors only, and
    both parts are reported apart (bench/extraction_bench.py --rules-split)."""
    ordered = sorted(contract_ids)
    return {cid for number, cid in enumerate(ordered) if number % HELD_OUT_EVERY == HELD_OUT_EVERY - 1}


def read_labels(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def contract_file(labels_path: Path, contract_id: str, file_format: str) -> Path:
    """The corpus layout: labels.jsonl beside pdf/<id>.pdf and txt/<id>.txt."""
    return labels_path.parent / file_format / f"{contract_id}.{file_format}"


# --- clinical notes (fixtures/clinical_extraction/notes.jsonl: text, facts, phi) ----------------------
CLINICAL_LISTS = {"diagnoses": ("description", ("icd10",)),
                  "medications": ("name", ("dose", "route", "frequency")),
                  "labs": ("name", ("value", "unit"))}


def _same(a, b) -> bool:
    return normalise(str(a or "")) == normalise(str(b or ""))


# Ways of writing the same frequency: a clinician reads "BID", "bd" and "twice daily" as one instruction,
# and the first fixture set's labels keep the abbreviation where its text spells it out.
SAME_FREQUENCY = [{"daily", "once daily", "once a day", "qd", "od", "qday", "1 0 0"},
                  {"bid", "bd", "twice daily", "twice a day", "1 0 1"},
                  {"tid", "tds", "three times daily", "three times a day", "1 1 1"},
                  {"qid", "qds", "four times daily", "four times a day", "1 1 1 1"},
                  {"nightly", "every night", "at bedtime", "qhs", "nocte", "0 0 1"}]


def _same_frequency(a, b) -> bool:
    x, y = normalise(str(a or "")), normalise(str(b or ""))
    return x == y or any(x in group and y in group for group in SAME_FREQUENCY)


def _list_scores(found: list, expected: list, key: str, parts: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """(right, out of) per measure: items found (recall), items right (precision), each part right."""
    matched, used = [], set()
    for item in expected:
        for index, candidate in enumerate(found):
            if index not in used and isinstance(candidate, dict) and fuzz.token_set_ratio(
                    normalise(str(candidate.get(key) or "")), normalise(item[key])) >= NAME_MATCH:
                used.add(index)
                matched.append((item, candidate))
                break
    scores = {"recall": (len(matched), len(expected)), "precision": (len(matched), len(found))}
    for part in parts:
        same = _same_frequency if part == "frequency" else _same
        right = sum(same(item[part], candidate.get(part)) for item, candidate in matched)
        scores[part] = (right, len(matched))
    return scores


def phi_leaks(data: dict, identifiers: list[str]) -> list[str]:
    """Pointers of values that contain one of the note's direct identifiers."""
    leaks = []
    for pointer, value, _ in leaves(data, {}):
        for identifier in identifiers:
            if re.search(r"(?<!\w)" + re.escape(identifier) + r"(?!\w)", str(value), re.IGNORECASE):
                leaks.append(pointer)
                break
    return leaks


def score_clinical(data: dict, note: dict) -> dict[str, tuple[int, int]]:
    """(right, out of) per measure for one note's extraction against its known facts."""
    facts = note["facts"]
    scores = {"note_type": (int(_same(data.get("note_type"), facts["note_type"])), 1),
              "encounter_date": (int(data.get("encounter_date") == facts["encounter_date"]), 1),
              "encounter_not_birth_date": (int(data.get("encounter_date") != note["birth_date"]), 1)}
    for name, (key, parts) in CLINICAL_LISTS.items():
        if not facts[name] and not data.get(name):
            continue
        for measure, counts in _list_scores(data.get(name) or [], facts[name], key, parts).items():
            scores[f"{name}.{measure}"] = counts
    if facts["allergies"] or data.get("allergies"):
        found = [normalise(str(a)) for a in data.get("allergies") or []]
        right = sum(normalise(a) in found for a in facts["allergies"])
        scores["allergies.recall"] = (right, len(facts["allergies"]))
        scores["allergies.precision"] = (right, len(found))
    leaks = phi_leaks(data, note["phi"])
    values = sum(1 for _ in leaves(data, {}))
    scores["values_without_phi"] = (values - len(leaks), values)
    return scores
