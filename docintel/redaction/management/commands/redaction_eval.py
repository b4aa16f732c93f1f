"""``manage.py redaction_eval GOLD.jsonl [--json] [--baseline presidio-default|none] [--profile ...]``

Character-level recall, precision, F2 and per-type recall of docintel's redaction over labelled
``{"id", "text", "spans": [{"start", "end", "type"}], "keep": [...]}`` records (``keep``, optional: text
that must stay readable, reported as the share redacted), and the same for Presidio's default
configuration side by side. Per-source figures for every evaluation source: ``bench/redaction_bench.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from docintel.errors import DocintelError
from docintel.redaction.engine import PROFILES
from docintel.redaction.evaluation import (
    BASELINE_NAME,
    Finder,
    docintel_finder,
    evaluate,
    presidio_default_finder,
    read_gold,
)


class Command(BaseCommand):
    help = "Measure redaction against labelled JSONL notes, next to Presidio's default configuration."

    def add_arguments(self, parser) -> None:
        parser.add_argument("gold", type=Path)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--baseline", choices=[BASELINE_NAME, "none"], default=BASELINE_NAME)
        parser.add_argument("--profile", choices=PROFILES, default=None, help="default: the setting's")

    def handle(self, *args, **options) -> None:
        try:
            records = read_gold(options["gold"])
        except OSError:
            raise CommandError(f"cannot read {options['gold']}") from None
        except DocintelError as error:
            raise CommandError(error.message) from None
        systems: dict[str, Finder] = {"docintel": docintel_finder(options["profile"])}
        if options["baseline"] != "none":
            systems[BASELINE_NAME] = presidio_default_finder()
        report: dict[str, Any] = {
            "gold": str(options["gold"]),
            "notes": len(records),
            **{name: evaluate(records, find).as_dict() for name, find in systems.items()},
        }
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        names = list(systems)
        self.stdout.write(f"{len(records)} notes, {report['docintel']['gold_chars']} PHI characters")
        self.stdout.write(f"{'':18}" + "".join(f"{name:>18}" for name in names))
        for metric in ("recall", "precision", "f2", "leaked_spans"):
            self.stdout.write(f"{metric:18}" + "".join(f"{report[n][metric]:>18}" for n in names))
        for kind in report["docintel"]["negatives"]:
            shares = [report[n]["negatives"][kind]["share_redacted"] for n in names]
            self.stdout.write(f"kept {kind:13}" + "".join(f"{share:>18}" for share in shares))
        self.stdout.write("recall by type")
        for kind in report["docintel"]["recall_by_type"]:
            self.stdout.write(
                f"  {kind:16}" + "".join(f"{report[n]['recall_by_type'].get(kind, 0.0):>18}" for n in names)
            )
