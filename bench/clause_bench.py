"""Clause review benchmark on the CUAD contracts: presence F1 and evidence overlap per category for a
keyword search, the rules, the classifier and the hybrid, cross-validated by contract (``clause_eval``),
and the seconds a clause review takes per contract on this machine.

    .venv/bin/python bench/clause_bench.py [--folds 5] [--format pdf|txt] [--out FILE.json]

Prints a Markdown table (the one in docs/BENCHMARKS.md) and writes every figure to ``--out``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docintel.settings")
os.environ.setdefault("DOCINTEL_DATA_DIR", tempfile.mkdtemp(prefix="docintel-bench-"))
LABELS = ROOT.parent / "shared" / "corpus" / "contracts" / "labels.jsonl"
METHODS = ("keyword", "rules", "classifier", "hybrid")


def table(summary: dict) -> str:
    from extraction.clauses.categories import CATEGORIES, SCHEMA_KEYS

    methods = summary["methods"]
    lines = ["| category (labelled) | " + " | ".join(f"{m} F1 / overlap" for m in METHODS) + " |",
             "|---|" + "---|" * len(METHODS)]

    def cell(figures: dict) -> str:
        f1, overlap = figures["f1"], figures["evidence_overlap"]
        return f"{'-' if f1 is None else f'{f1:.3f}'} / {'-' if overlap is None else f'{overlap:.2f}'}"

    for key, label in (("schema_keys", "**micro, schema clause keys**"), ("all_categories", "micro, all 41")):
        lines.append(f"| {label} | " + " | ".join(cell(methods[m][key]) for m in METHODS) + " |")
    for category in CATEGORIES:
        first = methods["keyword"]["categories"][category.name]
        star = " *" if category.name in SCHEMA_KEYS.values() else ""
        lines.append(f"| {category.name}{star} ({first['tp'] + first['fn']}) | "
                     + " | ".join(cell(methods[m]["categories"][category.name]) for m in METHODS) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--format", choices=("pdf", "txt"), default="pdf")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "clause_bench.json")
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("init_data_dir")
    call_command("migrate", verbosity=0)
    from extraction.clauses.corpus import read_corpus
    from extraction.clauses.review import review_clauses

    contracts = read_corpus(args.labels, args.format)
    started = time.monotonic()
    for contract in contracts:
        review_clauses(contract.text)
    per_contract = (time.monotonic() - started) / len(contracts)
    out = io.StringIO()
    call_command("clause_eval", str(args.labels), "--folds", str(args.folds), "--format", args.format,
                 "--json", stdout=out)
    summary = {**json.loads(out.getvalue()), "review_seconds_per_contract": round(per_contract, 3)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1))
    print(table(summary))
    print(f"\nclause review (segmentation + classifier + values): {per_contract:.3f} s per contract")


if __name__ == "__main__":
    main()
