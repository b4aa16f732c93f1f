"""The labelled contracts corpus (``labels.jsonl`` beside ``txt/`` and ``pdf/``) read for training and
evaluation: each contract's text (the corpus' reference text, or its PDF parsed as docintel parses an
upload) with CUAD's clauses located in it."""

from __future__ import annotations

import json
from pathlib import Path

from .training import LabelledContract, labelled_contract


def read_labels(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def contract_text(labels_path: Path, contract_id: str, file_format: str = "txt") -> str:
    path = labels_path.parent / file_format / f"{contract_id}.{file_format}"
    if file_format == "txt":
        return path.read_text(encoding="utf-8", errors="replace")
    from docintel.cli import read_input_file
    from docintel.parsing import parse_file

    _, media_type = read_input_file(path)
    return parse_file(path, media_type).text


def read_corpus(labels_path: Path, file_format: str = "txt", limit: int = 0) -> list[LabelledContract]:
    rows = read_labels(labels_path)[:limit or None]
    return [labelled_contract(row["id"], contract_text(labels_path, row["id"], file_format), row["labels"])
            for row in rows]
