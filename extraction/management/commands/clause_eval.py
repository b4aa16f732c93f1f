"""``manage.py clause_eval LABELS.jsonl [--folds 5] [--format txt|pdf] [--json]``

Clause review against CUAD's labels (``labels.jsonl`` beside ``txt/`` and ``pdf/``): per category,
presence precision/recall/F1 and evidence overlap, for a keyword search, the rules alone, the trained
classifier and the hybrid (classifier, its uncertain verdicts settled by the rules) side by side.

With ``--folds N`` (the default, 5) the classifier is cross-validated: folds split by contract, and each
contract is reviewed by a classifier trained without it (thresholds chosen inside its training folds),
so the figures say what to expect on contracts nobody tuned on. ``--folds 0`` scores the shipped
classifier (honest only on contracts it was not trained on). The six metadata categories come from the
deterministic extractors' grounded fields (``--fields rules``, the default) or the full extraction.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from extraction.clauses.baselines import keyword_search, rules_only
from extraction.clauses.categories import CATEGORIES, SCHEMA_KEYS
from extraction.clauses.corpus import read_corpus
from extraction.clauses.review import review_clauses, settle_with_rules
from extraction.clauses.scoring import ClauseScores
from extraction.clauses.training import cross_validate

METHODS = ("keyword", "rules", "classifier", "hybrid")


class Command(BaseCommand):
    help = "Score clause review against CUAD labels: presence P/R/F1 and evidence overlap per category."

    def add_arguments(self, parser) -> None:
        parser.add_argument("labels", type=Path, help="labels.jsonl (CUAD columns per contract)")
        parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (0: shipped model)")
        parser.add_argument("--format", choices=("txt", "pdf"), default="pdf",
                            help="read the contracts' PDFs (as uploaded) or the corpus' reference text")
        parser.add_argument("--fields", choices=("rules", "hybrid"), default="rules",
                            help="extraction mode for the metadata categories")
        parser.add_argument("--limit", type=int, default=0, help="only the first N contracts")
        parser.add_argument("--json", action="store_true", help="one JSON object with every figure")

    def handle(self, *args, **options) -> None:
        if not options["labels"].is_file():
            raise CommandError(f"no labels file at {options['labels']}")
        if options["folds"] == 1 or options["folds"] < 0:
            raise CommandError("--folds must be 0 (the shipped classifier) or at least 2")
        from extraction.extractor import extract
        from extraction.schemas import get_schema

        contracts = read_corpus(options["labels"], options["format"], options["limit"])
        classifiers = (cross_validate(contracts, fold_count=options["folds"],
                                      progress=lambda line: self.stderr.write(line))
                       if options["folds"] else {})
        schema = get_schema("contract")
        scores = {method: ClauseScores() for method in METHODS}
        for contract in contracts:
            fields = extract(contract.text, schema, mode=options["fields"])
            grounding = {pointer: [s.as_dict() if hasattr(s, "as_dict") else s for s in spans]
                         for pointer, spans in fields.grounding.items()}
            review = review_clauses(contract.text, data=fields.data, grounding=grounding,
                                    classifier=classifiers.get(contract.id))
            found = {
                "keyword": keyword_search(contract.text, review.units),
                "rules": rules_only(contract.text, review.units),
                "classifier": review.as_dict(),
                "hybrid": settle_with_rules(contract.text, review).as_dict(),
            }
            for method, findings in found.items():
                if method in ("keyword", "rules"):  # metadata categories: the fields, as for the others
                    findings.update({n: f for n, f in found["classifier"].items()
                                     if n in review.metadata_names})
                scores[method].add(findings, contract.gold, contract.present)
        summary = {"contracts": len(contracts), "format": options["format"], "folds": options["folds"],
                   "methods": {method: scores[method].summary() for method in METHODS}}
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self._table(summary)

    def _table(self, summary: dict) -> None:
        methods = summary["methods"]
        self.stdout.write(f"{summary['contracts']} contracts ({summary['format']}), "
                          + (f"{summary['folds']}-fold cross-validated by contract" if summary["folds"]
                             else "shipped classifier"))
        header = "".join(f"{m:>22}" for m in METHODS)
        self.stdout.write(f"{'category (n labelled)':<44}{header}")
        self.stdout.write(f"{'':<44}" + "".join(f"{'F1   overlap':>22}" for _ in METHODS))

        def row(label: str, figures: list[dict]) -> str:
            cells = "".join(f"{_fmt(f['f1']):>14}{_fmt(f['evidence_overlap']):>8}" for f in figures)
            return f"{label:<44}{cells}"

        for key in ("schema_keys", "all_categories"):
            self.stdout.write(row(f"micro: {key.replace('_', ' ')}", [methods[m][key] for m in METHODS]))
        for category in CATEGORIES:
            figures = [methods[m]["categories"][category.name] for m in METHODS]
            labelled = figures[0]["tp"] + figures[0]["fn"]
            mark = " *" if category.name in SCHEMA_KEYS.values() else ""
            self.stdout.write(row(f"{category.name[:36]} ({labelled}){mark}", figures))
        self.stdout.write("* a contract schema clause key; overlap: evidence overlap F1 on contracts where "
                          "the clause is both labelled and found")


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"
