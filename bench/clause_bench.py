"""Clause review benchmark on the CUAD contracts: presence F1 and evidence overlap per category for a
keyword search, the rules, the classifier and the hybrid, cross-validated by contract (``clause_eval``),
and the seconds a clause review takes per contract on this machine.

    .venv/bin/python bench/clause_bench.py [--folds 5] [--format pdf|txt] [--out FILE.json]

Prints a Markdown table (the one in docs/BENCHMARKS.md) and writes every figure to ``--out``.

    .venv/bin/python bench/clause_bench.py --quick [--errors]

is the quick loop (a few minutes rather than an hour): the contract schema's 7 clause keys only, on the
corpus' reference text, the same folds and thresholds chosen the same way, without Django or the
metadata extraction; ``--errors`` lists every wrong verdict and every evidence sentence off the label.
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


def quick(args) -> None:
    """The 7 schema keys, cross-validated as ``clause_eval`` does, with only their classifiers fitted."""
    from extraction.clauses.baselines import keyword_search, rules_only
    from extraction.clauses.categories import SCHEMA_KEYS
    from extraction.clauses.corpus import read_corpus
    from extraction.clauses.review import review_clauses, settle_with_rules
    from extraction.clauses.scoring import ClauseScores
    from extraction.clauses.training import cross_validate

    names = list(SCHEMA_KEYS.values())
    started = time.monotonic()
    contracts = read_corpus(args.labels, "txt", args.limit)
    classifiers = cross_validate(contracts, fold_count=args.folds, only=frozenset(names),
                                 progress=lambda line: print(line, file=sys.stderr))
    scores = {method: ClauseScores() for method in METHODS}
    for contract in contracts:
        review = review_clauses(contract.text, classifier=classifiers[contract.id])
        found = {"keyword": keyword_search(contract.text, review.units),
                 "rules": rules_only(contract.text, review.units),
                 "classifier": review.as_dict(),
                 "hybrid": settle_with_rules(contract.text, review).as_dict()}
        for method, findings in found.items():
            scores[method].add(findings, contract.gold, contract.present)
        if args.errors:
            _errors(contract, review, found["classifier"], names)
    print(f"{len(contracts)} contracts (txt), {args.folds}-fold cross-validated by contract, "
          f"{time.monotonic() - started:.0f} s")
    print(f"{'':<38}" + "".join(f"{m:>24}" for m in METHODS))
    print(f"{'':<38}" + "".join(f"{'F1 overlap chars':>24}" for _ in METHODS))

    def cells(figures: list[dict]) -> str:
        return "".join(f"{_fmt(f['f1']):>10}{_fmt(f['evidence_overlap']):>7}"
                       f"{_fmt(f['evidence_precision']):>7}" for f in figures)

    print(f"{'micro, 7 schema keys':<38}" + cells([scores[m].micro(names) for m in METHODS]))
    for name in names:
        figures = [scores[m].categories[name].as_dict() for m in METHODS]
        print(f"{name[:32]} ({figures[0]['tp'] + figures[0]['fn']})".ljust(38) + cells(figures))


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _errors(contract, review, findings: dict, names: list[str]) -> None:
    """Each wrong verdict and each evidence sentence that misses CUAD's clauses, for reading."""
    column = {name: review.classified.index(name) for name in names}
    for name in names:
        finding, gold, labelled = findings[name], contract.gold[name], contract.present[name]
        scores = review.scores[:, column[name]]
        best = int(scores.argmax()) if len(scores) else 0
        said = finding["present"]
        if bool(said) != labelled:
            kind = "FN" if labelled else "FP"
            print(f"{kind} {contract.id} {name}: best {scores[best]:.2f} "
                  f"{_short(contract.text, review.units[best].start, review.units[best].end)}")
            for clause in gold[:2]:
                row = next((r for r, u in enumerate(review.units) if u.end > clause.start), 0)
                print(f"   gold (score {scores[row]:.2f}): {_short(contract.text, clause.start, clause.end)}")
        elif said and labelled:
            for span in finding["evidence"]:
                if not any(min(span["end"], g.end) > max(span["start"], g.start) for g in gold):
                    print(f"OFF {contract.id} {name}: {_short(contract.text, span['start'], span['end'])}")
            for clause in gold:
                if not any(min(s["end"], clause.end) > max(s["start"], clause.start)
                           for s in finding["evidence"]):
                    print(f"MISSED {contract.id} {name}: {_short(contract.text, clause.start, clause.end)}")


def _short(text: str, start: int, end: int, width: int = 160) -> str:
    piece = " ".join(text[start:end].split())
    return piece if len(piece) <= width else piece[:width - 20] + " ... " + piece[-15:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--format", choices=("pdf", "txt"), default="pdf")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "clause_bench.json")
    parser.add_argument("--quick", action="store_true", help="the 7 schema clause keys only, reference text")
    parser.add_argument("--errors", action="store_true", help="with --quick: list the errors")
    parser.add_argument("--limit", type=int, default=0, help="with --quick: the first N contracts")
    args = parser.parse_args()
    if args.quick:
        quick(args)
        return
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
