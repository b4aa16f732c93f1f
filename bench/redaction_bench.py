"""Redaction: quality per evaluation source and speed, docintel next to Presidio's default analyzer in
the same run.

    .venv/bin/python bench/redaction_bench.py [--sources a,b] [--repeat 3] [--via cli] [--json]
    .venv/bin/python bench/redaction_bench.py --sources pii_mimesis --leaks 40   # TUNE sources only

Quality: character-level recall, precision, F2, per-type recall, leaked spans and (contracts) the share
of must-stay text redacted, for every source in ``SOURCES`` (``fixtures/redaction_eval/README.md`` says
which are TUNE, TEST and regression sets, who wrote them and where they come from). ``--via cli`` runs
docintel through ``manage.py redact --jsonl --json``, the path the reviewer uses.

Speed: pages per second on ONE core (the process pinned to one CPU, BLAS/OpenMP threads to 1; a page is
3,000 characters) over the clinical test source, best of --repeat passes, the two systems alternating so
that load from other processes hits both alike; model load times are measured apart.

``--leaks N`` prints N missed spans and N redactions of no PHI per source, and refuses TEST sources: their
misses are not read (the README's rule).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core, before numpy loads
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "fixtures" / "redaction_eval"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(EVAL))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()
logging.disable(logging.WARNING)

from docintel.redaction.engine import get_engine  # noqa: E402
from docintel.redaction.evaluation import (  # noqa: E402
    BASELINE_NAME,
    Finder,
    Scores,
    docintel_finder,
    presidio_default_engine,
    presidio_default_finder,
    read_gold,
)

PAGE = 3000
CONTRACTS = ROOT.parent / "shared" / "corpus" / "contracts"


@dataclass(frozen=True)
class Source:
    role: str  # "tune", "test" or "regression"
    profile: str  # the redaction profile documents of this source get in the pipeline
    path: Path | None = None  # a gold JSONL file, or None for the CUAD contracts

    def records(self, name: str) -> list[dict]:
        if self.path is not None:
            return read_gold(self.path)
        from contracts_cuad.negatives import load

        return load(CONTRACTS, part=self.role)


SOURCES = {
    "pii_faker": Source("test", "clinical", EVAL / "pii_faker" / "data.jsonl"),
    "clinical_faker": Source("test", "clinical", EVAL / "clinical_faker" / "data.jsonl"),
    "contracts_cuad": Source("test", "contract"),
    "pii_mimesis": Source("tune", "clinical", EVAL / "pii_mimesis" / "data.jsonl"),
    "clinical_mimesis": Source("tune", "clinical", EVAL / "clinical_mimesis" / "data.jsonl"),
    "contracts_cuad_tune": Source("tune", "contract"),
    "clinical_notes_heldout": Source(
        "regression", "clinical", ROOT / "fixtures/clinical_notes/heldout.jsonl"
    ),
    "clinical_notes_tune": Source("regression", "clinical", ROOT / "fixtures/clinical_notes/tune.jsonl"),
}


def timed(function):
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def cli_finder(profile: str) -> Finder:
    """docintel through ``manage.py redact --jsonl --json``, as an outside tool runs it."""

    def find(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "input.jsonl"
            path.write_text(
                "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts))
            )
            command = [sys.executable, str(ROOT / "manage.py"), "redact", "--jsonl", str(path), "--json"]
            output = subprocess.run(
                [*command, "--profile", profile], capture_output=True, text=True, check=True, cwd=ROOT
            ).stdout
        found = {
            r["id"]: [(e["start"], e["end"], e["type"]) for e in r["entities"]]
            for r in map(json.loads, output.splitlines())
        }
        return [found[str(i)] for i in range(len(texts))]

    return find


def score(records: list[dict], spans: list, leaks: int) -> dict:
    scores = Scores()
    missed, false = [], []
    for record, predicted in zip(records, spans, strict=True):
        text = record["text"]
        scores.add(text, record["spans"], predicted, record.get("keep", ()))
        if leaks:
            covered = {i for start, end, _ in predicted for i in range(start, end)}
            gold = {i for g in record["spans"] for i in range(g["start"], g["end"])}
            missed += [
                (g["type"], text[g["start"] : g["end"]], record["id"])
                for g in record["spans"]
                if any(i not in covered and not text[i].isspace() for i in range(g["start"], g["end"]))
            ]
            false += [
                (kind, text[s:e], record["id"]) for s, e, kind in predicted if not gold & set(range(s, e))
            ]
    report = scores.as_dict()
    if leaks:
        report["missed"], report["false"] = missed[:leaks], false[:leaks]
    return report


def speed(systems: dict[str, Finder], texts: list[str], repeat: int) -> dict[str, float]:
    pages = sum(len(t) for t in texts) / PAGE
    best = dict.fromkeys(systems, float("inf"))
    for _ in range(repeat):
        for name, find in systems.items():
            best[name] = min(best[name], timed(lambda f=find: f(texts))[1])
    return {name: round(pages / seconds, 2) for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--via", choices=["engine", "cli"], default="engine")
    parser.add_argument("--leaks", type=int, default=0)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = args.sources.split(",")
    if args.leaks and any(SOURCES[n].role == "test" for n in names):
        parser.error("--leaks reads misses: TUNE and regression sources only")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    _, ours_load = timed(get_engine)
    baseline_engine, base_load = timed(presidio_default_engine)
    baseline = presidio_default_finder(baseline_engine)
    report: dict = {
        "load_s": {"docintel": round(ours_load, 2), BASELINE_NAME: round(base_load, 2)},
        "sources": {},
    }
    for name in names:
        source = SOURCES[name]
        records = source.records(name)
        ours = cli_finder(source.profile) if args.via == "cli" else docintel_finder(source.profile)
        texts = [r["text"] for r in records]
        report["sources"][name] = {
            "role": source.role,
            "profile": source.profile,
            "records": len(records),
            "docintel": score(records, ours(texts), args.leaks),
            BASELINE_NAME: score(records, baseline(texts), 0),
        }
    if not args.no_speed:
        texts = [r["text"] for r in SOURCES["clinical_faker"].records("clinical_faker")]
        pages = speed({"docintel": docintel_finder("clinical"), BASELINE_NAME: baseline}, texts, args.repeat)
        report["pages_per_s_per_core"] = pages
        report["speed_ratio"] = round(pages["docintel"] / pages[BASELINE_NAME], 2)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
        return
    print_report(report)


def print_report(report: dict) -> None:
    for name, result in report["sources"].items():
        print(f"\n== {name} ({result['role']}, {result['records']} records, profile {result['profile']})")
        for system in ("docintel", BASELINE_NAME):
            s = result[system]
            print(
                f"  {system:17} recall {s['recall']:.4f}  precision {s['precision']:.4f}  F2 {s['f2']:.4f}  "
                f"leaked {s['leaked_spans']}"
            )
            if s["negatives"]:
                print(
                    "    kept text redacted: "
                    + ", ".join(f"{k} {v['share_redacted']:.4f}" for k, v in s["negatives"].items())
                )
            if s["recall_by_type"]:
                print("    " + "  ".join(f"{k} {v:.3f}" for k, v in sorted(s["recall_by_type"].items())))
            for kind, text, record in s.get("missed", []):
                print(f"    MISSED {kind:14} {text!r}  ({record})")
            for kind, text, record in s.get("false", []):
                print(f"    FALSE  {kind:14} {text!r}  ({record})")
    if "speed_ratio" in report:
        pages = report["pages_per_s_per_core"]
        print(
            f"\nspeed on one core (clinical_faker): docintel {pages['docintel']} pages/s, "
            f"{BASELINE_NAME} {pages[BASELINE_NAME]} pages/s: {report['speed_ratio']}x"
        )
        print(f"model load (s): {report['load_s']}")


if __name__ == "__main__":
    main()
