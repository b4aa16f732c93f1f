"""Extraction benchmark on the CUAD contracts: field accuracy for the deterministic extractors alone, the
embedded model alone and the hybrid; the embedded model's speed; pipeline overhead.

    .venv/bin/python bench/extraction_bench.py [--limit N] [--format pdf|txt] [--out FILE.jsonl]
    .venv/bin/python bench/extraction_bench.py --open-fields-ab [--skip N] [--limit N]

Each contract is extracted three ways. The hybrid runs live on the embedded model; its model calls are
recorded, and the model-only run replays the same answers to the same prompts (the model is
deterministic at temperature 0), so the slow model runs once per prompt. Overhead: end-to-end seconds of
the hybrid extraction per document against the backend's own time for the same prompts (the seconds
inside llama.cpp's chat completion), side by side. Per-contract lines go to ``--out`` as they finish, so
a long run can be read while it goes.

``--rules-split [--baseline DIR]``: the deterministic extractors alone on the fixed split of
``evaluation.held_out_fold`` (30 contracts whose errors the rules were changed on, 10 held out), per
field and part; with ``--baseline`` (another checkout, e.g. a worktree of main) its rules run on the same
texts, alternating with ours per contract over ``--rounds`` rounds: accuracy of both and the CPU-time
ratio. No model is loaded.

``--few-shot-ab [--donors N] [--limit M] [--shots K]``: the few-shot gain from reviewers' corrections.
N donor contracts (outside ``evaluation.held_out_fold``, whose rules-mode extraction a reviewer would have
to correct) are stored as documents, redacted by the real engine, extracted by the rules and corrected
field by field to CUAD's answers through ``actions.correct_field``, as a reviewer does; then the first M
held-out contracts are extracted by the hybrid on the embedded model twice, alternating which goes
first, with ``DOCINTEL_EXTRACTION_FEW_SHOT`` at 0 and at K (the newest corrected examples before every
prompt, ``learning.few_shot_messages``): accuracy of the six fields, seconds and calls side by side.

``--open-fields-ab``: the hybrid only, twice per contract in alternating order, once asking the model
every field (``DOCINTEL_EXTRACTION_ASK_OPEN_FIELDS_ONLY=false``) and once only the fields the rules and
the clause review leave open (the default): accuracy and seconds per contract, side by side.
"""

from __future__ import annotations

import argparse
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


class RecordingBackend:
    """Wraps a backend: records each answer by prompt, replays it when ``replay`` is on, and keeps
    llama.cpp's own prompt/generation timings when the backend is the embedded one."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.answers: dict[str, object] = {}
        self.replay = False
        self.calls: list[dict] = []

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def complete(self, messages, schema, *, max_tokens):
        key = json.dumps(messages, sort_keys=True)
        if self.replay and key in self.answers:
            return self.answers[key]
        perf = _perf_reset(self.backend)
        completion = self.backend.complete(messages, schema, max_tokens=max_tokens)
        self.calls.append({"latency_ms": completion.latency_ms, "prompt_tokens": completion.prompt_tokens,
                           "completion_tokens": completion.completion_tokens, **(perf() if perf else {})})
        self.answers[key] = completion
        return completion


def _perf_reset(backend):
    """Reset llama.cpp's counters; returns a reader of prompt/generation ms and token counts."""
    try:
        import llama_cpp

        ctx = backend.llm._ctx.ctx
        llama_cpp.llama_perf_context_reset(ctx)
    except (AttributeError, ImportError):
        return None

    def read() -> dict:
        data = llama_cpp.llama_perf_context(ctx)
        return {"prompt_eval_ms": data.t_p_eval_ms, "prompt_eval_tokens": data.n_p_eval,
                "gen_ms": data.t_eval_ms, "gen_tokens": data.n_eval}
    return read


def summarise(lines: list[dict]) -> dict:
    """Figures over the per-contract lines (also of a run stopped early)."""
    summary = {"contracts": len(lines), "accuracy": {}, "grounding_precision": {}}
    for mode in ("rules", "model", "hybrid"):
        per_field: dict[str, list[float]] = {}
        good = total = 0
        for line in lines:
            for name, score in line[mode]["scores"].items():
                per_field.setdefault(name, []).append(score)
            good += line[mode]["grounding"][0]
            total += line[mode]["grounding"][1]
        every = [s for scores in per_field.values() for s in scores]
        summary["accuracy"][mode] = {name: round(sum(v) / len(v), 3) for name, v in per_field.items()}
        summary["accuracy"][mode]["mean"] = round(sum(every) / len(every), 3) if every else None
        summary["grounding_precision"][mode] = f"{good}/{total}"
    calls = [call for line in lines for call in line["hybrid"]["calls"]]
    gen_s = sum(c.get("gen_ms", 0) for c in calls) / 1000
    prompt_s = sum(c.get("prompt_eval_ms", 0) for c in calls) / 1000
    e2e = sum(line["hybrid"]["seconds"] for line in lines)
    backend_s = sum(line["hybrid"]["backend_s"] for line in lines)
    summary["embedded"] = {
        "calls": len(calls),
        "generation_tokens_per_s": round(sum(c.get("gen_tokens", 0) for c in calls) / gen_s, 1)
        if gen_s else None,
        "prompt_tokens_per_s": round(sum(c.get("prompt_eval_tokens", 0) for c in calls) / prompt_s, 1)
        if prompt_s else None,
        "prompt_tokens_per_call": round(sum(c["prompt_tokens"] for c in calls) / max(1, len(calls))),
        "completion_tokens_per_call": round(sum(c["completion_tokens"] for c in calls) / max(1, len(calls))),
        "seconds_per_contract": round(e2e / max(1, len(lines)), 2),
        "backend_seconds_per_contract": round(backend_s / max(1, len(lines)), 2),
    }
    summary["overhead_ratio"] = round(e2e / backend_s, 3) if backend_s else None
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--format", choices=("pdf", "txt"), default="pdf")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "extraction_bench.jsonl")
    parser.add_argument("--summarise", action="store_true", help="only summarise the lines already in --out")
    parser.add_argument("--open-fields-ab", action="store_true",
                        help="hybrid asking every field against asking the open ones, alternating")
    parser.add_argument("--few-shot-ab", action="store_true",
                        help="hybrid without and with reviewers' corrections as few-shot examples")
    parser.add_argument("--donors", type=int, default=3, help="with --few-shot-ab: corrected contracts")
    parser.add_argument("--shots", type=int, default=3, help="with --few-shot-ab: examples per prompt")
    parser.add_argument("--skip", type=int, default=0, help="start after this many contracts")
    parser.add_argument("--rules-split", action="store_true",
                        help="the rules alone, 30 tuned-on contracts and 10 held out reported apart")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="with --rules-split: a checkout whose extraction/rules.py runs beside ours")
    parser.add_argument("--rounds", type=int, default=3, help="with --rules-split: timing rounds")
    args = parser.parse_args()
    if args.summarise:
        lines = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()]
        print(json.dumps(summarise([line for line in lines if "id" in line]), indent=1))
        return

    import django

    django.setup()
    from django.core.management import call_command

    if args.rules_split:
        _rules_split(args)
        return
    call_command("init_data_dir")
    call_command("migrate", verbosity=0)  # the audit log of the model calls needs its tables
    from extraction.backends import get_backend
    from extraction.evaluation import contract_file, read_labels, score_record
    from extraction.export import result_record
    from extraction.extractor import extract
    from extraction.management.commands.extract import read_text
    from extraction.schemas import get_schema

    schema = get_schema("contract")
    started = time.monotonic()
    backend = RecordingBackend(get_backend("embedded"))
    print(json.dumps({"model_load_s": round(time.monotonic() - started, 2),
                      "threads": backend.backend.llm.n_threads}), flush=True)
    contracts = read_labels(args.labels)[args.skip:][:args.limit or None]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.open_fields_ab:
        _open_fields_ab(args, contracts, backend, schema)
        return
    if args.few_shot_ab:
        _few_shot_ab(args, read_labels(args.labels), backend, schema)
        return
    lines = []
    with args.out.open("w") as out:
        for contract in contracts:
            parsed = read_text(contract_file(args.labels, contract["id"], args.format))
            line = {"id": contract["id"], "chars": len(parsed.text)}
            first_call = len(backend.calls)
            for mode in ("hybrid", "model", "rules"):
                backend.replay = mode == "model"
                begin = time.monotonic()
                result = extract(parsed.text, schema, mode=mode, backend=backend,
                                 page_offsets=parsed.page_offsets)
                seconds = time.monotonic() - begin
                record = result_record(contract["id"], result)
                line[mode] = {**score_record(record, contract["labels"], schema.schema, parsed.text),
                              "seconds": round(seconds, 3), "valid": record["valid"]}
                if mode == "hybrid":
                    calls = backend.calls[first_call:]
                    line["hybrid"].update(backend_s=round(sum(c["latency_ms"] for c in calls) / 1000, 3),
                                          calls=calls)
            lines.append(line)
            out.write(json.dumps(line) + "\n")
            out.flush()
            scores = {mode: line[mode]["scores"] for mode in ("hybrid", "model", "rules")}
            print(json.dumps({"id": line["id"], **scores, "seconds": line["hybrid"]["seconds"]}), flush=True)
    print(json.dumps({"summary": summarise(lines)}, indent=1))


def _load_rules(checkout: Path, alias: str):
    """``extraction/rules.py`` of another checkout, imported under another package name (it and the
    modules it imports need no Django)."""
    import importlib.util

    package = checkout / "extraction"
    spec = importlib.util.spec_from_file_location(alias, package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return importlib.import_module(f"{alias}.rules")


def _rules_split(args) -> None:
    from extraction import rules
    from extraction.evaluation import (
        LABEL_COLUMNS,
        NotComparable,
        contract_file,
        held_out_fold,
        read_labels,
        score_field,
    )
    from extraction.management.commands.extract import read_text
    from extraction.schemas import get_schema

    contracts = sorted(read_labels(args.labels), key=lambda c: c["id"])
    held = held_out_fold([c["id"] for c in contracts])
    variants = {"ours": rules}
    if args.baseline:
        variants = {"baseline": _load_rules(args.baseline.resolve(), "baseline_extraction"), "ours": rules}
    empty = get_schema("contract").empty()
    texts = {c["id"]: read_text(contract_file(args.labels, c["id"], args.format)).text for c in contracts}
    scores = {(v, part): {} for v in variants for part in ("tuned", "held_out")}
    cpu = dict.fromkeys(variants, 0.0)
    for round_number in range(args.rounds):
        for number, contract in enumerate(contracts):
            order = list(variants) if (number + round_number) % 2 == 0 else list(reversed(variants))
            for name in order:
                began = time.process_time()
                proposal = variants[name].contract(texts[contract["id"]], dict(empty))
                cpu[name] += time.process_time() - began
                if round_number:
                    continue
                part = "held_out" if contract["id"] in held else "tuned"
                for field_name, column in LABEL_COLUMNS.items():
                    try:
                        score = score_field(field_name, proposal.data.get(field_name),
                                            contract["labels"].get(column, ""))
                    except NotComparable:
                        continue
                    scores[(name, part)].setdefault(field_name, []).append(score)
    summary: dict = {"format": args.format, "held_out": sorted(held), "rounds": args.rounds,
                     "load_average": os.getloadavg()}
    for (name, part), per_field in scores.items():
        every = [s for values in per_field.values() for s in values]
        summary[f"{name} {part}"] = {**{f: round(sum(v) / len(v), 3) for f, v in per_field.items()},
                                     "mean": round(sum(every) / len(every), 3), "n": len(every)}
    runs = args.rounds * len(contracts)
    summary["cpu_ms_per_contract"] = {name: round(1000 * seconds / runs, 2) for name, seconds in cpu.items()}
    if args.baseline:
        summary["cpu_ratio_ours_to_baseline"] = round(cpu["ours"] / cpu["baseline"], 3)
    print(json.dumps(summary, indent=1))


def _timed_hybrid(contract: dict, parsed, schema, backend: RecordingBackend) -> tuple[float, dict, list]:
    """One hybrid extraction of ``contract``: seconds, its scores against the labels, the model calls."""
    from extraction.evaluation import score_record
    from extraction.export import result_record
    from extraction.extractor import extract

    first_call = len(backend.calls)
    begin = time.monotonic()
    result = extract(parsed.text, schema, mode="hybrid", backend=backend, page_offsets=parsed.page_offsets)
    took = time.monotonic() - begin
    record = result_record(contract["id"], result)
    scored = score_record(record, contract["labels"], schema.schema, parsed.text)
    return took, scored, backend.calls[first_call:]


def _open_fields_ab(args, contracts: list[dict], backend: RecordingBackend, schema) -> None:
    from django.conf import settings

    from extraction.evaluation import contract_file
    from extraction.management.commands.extract import read_text

    totals: dict[str, dict[str, list[float]]] = {"all": {}, "open": {}}
    seconds: dict[str, list[float]] = {"all": [], "open": []}
    grounded: dict[str, list[int]] = {"all": [0, 0], "open": [0, 0]}
    with args.out.open("w") as out:
        for number, contract in enumerate(contracts):
            parsed = read_text(contract_file(args.labels, contract["id"], args.format))
            line: dict = {"id": contract["id"], "chars": len(parsed.text)}
            for variant in (("all", "open") if number % 2 == 0 else ("open", "all")):
                settings.EXTRACTION_ASK_OPEN_FIELDS_ONLY = variant == "open"
                took, scored, calls = _timed_hybrid(contract, parsed, schema, backend)
                line[variant] = {**scored, "seconds": round(took, 2), "calls": len(calls),
                                 "completion_tokens": sum(c["completion_tokens"] for c in calls)}
                for name, score in scored["scores"].items():
                    totals[variant].setdefault(name, []).append(score)
                seconds[variant].append(took)
                grounded[variant][0] += scored["grounding"][0]
                grounded[variant][1] += scored["grounding"][1]
            out.write(json.dumps(line) + "\n")
            out.flush()
            brief = {variant: {key: line[variant][key] for key in ("seconds", "calls", "scores")}
                     for variant in ("all", "open")}
            print(json.dumps({"id": line["id"], **brief}), flush=True)
    summary = {}
    for variant, per_field in totals.items():
        every = [score for scores in per_field.values() for score in scores]
        summary[variant] = {
            "accuracy": {name: round(sum(v) / len(v), 3) for name, v in per_field.items()},
            "mean_accuracy": round(sum(every) / len(every), 3) if every else None,
            "seconds_per_contract": round(sum(seconds[variant]) / max(1, len(seconds[variant])), 2),
            "grounding_precision": f"{grounded[variant][0]}/{grounded[variant][1]}"}
    print(json.dumps({"summary": summary, "contracts": len(contracts),
                      "load_average_end": os.getloadavg()[0]}, indent=1))


def _corrections(labels: dict, data: dict) -> dict[str, object]:
    """CUAD's answers for the six fields where the extraction's value is wrong: what a reviewer types."""
    from extraction.evaluation import LABEL_COLUMNS, NotComparable, label_date, label_parties, score_field

    fixes: dict[str, object] = {}
    for name, column in LABEL_COLUMNS.items():
        answer = labels.get(column, "")
        try:
            if not answer.strip() or score_field(name, data.get(name), answer) == 1.0:
                continue
            if name.endswith("_date"):
                fixes[name] = label_date(answer)
            elif name == "parties":
                fixes[name] = [{"name": party, "role": None} for party in label_parties(answer)]
            else:
                fixes[name] = answer.splitlines()[0].split(";")[0].strip()
        except NotComparable:
            continue
    return fixes


def _few_shot_ab(args, contracts: list[dict], backend: RecordingBackend, schema) -> None:
    """Donors corrected as a reviewer would, then held-out contracts without and with their examples."""
    import hashlib

    from django.contrib.auth import get_user_model
    from django.test import override_settings

    from docintel.accounts.roles import set_roles
    from docintel.documents.models import Document, DocumentKind
    from docintel.redaction.actions import redact_document
    from extraction.actions import correct_field, store_extraction
    from extraction.evaluation import contract_file, held_out_fold, score_record
    from extraction.export import result_record
    from extraction.extractor import extract
    from extraction.learning import few_shot_messages
    from extraction.management.commands.extract import read_text

    held = held_out_fold([c["id"] for c in contracts])
    reviewer = get_user_model().objects.create(username="few-shot-reviewer")
    set_roles(reviewer, {"reviewer"})
    donors: list[dict] = []
    for contract in (c for c in contracts if c["id"] not in held):
        if len(donors) >= args.donors:
            break
        parsed = read_text(contract_file(args.labels, contract["id"], args.format))
        result = extract(parsed.text, schema, mode="rules", page_offsets=parsed.page_offsets)
        fixes = _corrections(contract["labels"], result.data)
        if not fixes:
            continue  # nothing a reviewer would correct: no example
        document = Document.objects.create(
            filename=f"{contract['id']}.pdf", kind=DocumentKind.CONTRACT, text=parsed.text,
            page_offsets=parsed.page_offsets, media_type="application/pdf", size=len(parsed.text),
            sha256=hashlib.sha256(parsed.text.encode()).hexdigest())
        redact_document(document)
        extraction = store_extraction(document, result)
        for name, value in fixes.items():
            correct_field(extraction, f"/{name}", value, actor=reviewer)
        donors.append({"id": contract["id"], "corrected": sorted(fixes)})
        print(json.dumps({"donor": contract["id"], "corrected": sorted(fixes)}), flush=True)
    turns = few_shot_messages(schema, args.shots)
    print(json.dumps({"few_shot_examples": len(turns) // 2,
                      "example_chars": sum(len(t["content"]) for t in turns)}), flush=True)
    targets = [c for c in contracts if c["id"] in held][args.skip:][:args.limit or None]
    totals: dict[str, dict[str, list[float]]] = {"zero": {}, "few": {}}
    seconds: dict[str, list[float]] = {"zero": [], "few": []}
    with args.out.open("w") as out:
        for number, contract in enumerate(targets):
            parsed = read_text(contract_file(args.labels, contract["id"], args.format))
            line: dict = {"id": contract["id"], "chars": len(parsed.text)}
            rules_only = extract(parsed.text, schema, mode="rules", page_offsets=parsed.page_offsets)
            line["rules"] = score_record(result_record(contract["id"], rules_only), contract["labels"],
                                         schema.schema, parsed.text)["scores"]
            for variant in (("zero", "few") if number % 2 == 0 else ("few", "zero")):
                with override_settings(EXTRACTION_FEW_SHOT=args.shots if variant == "few" else 0):
                    took, scored, calls = _timed_hybrid(contract, parsed, schema, backend)
                line[variant] = {**scored, "seconds": round(took, 2), "calls": len(calls),
                                 "prompt_tokens": sum(c["prompt_tokens"] for c in calls)}
                for name, score in scored["scores"].items():
                    totals[variant].setdefault(name, []).append(score)
                seconds[variant].append(took)
            out.write(json.dumps(line) + "\n")
            out.flush()
            print(json.dumps({"id": line["id"], **{v: {k: line[v][k] for k in ("seconds", "calls", "scores")}
                                                   for v in ("zero", "few")}}), flush=True)
    summary = {}
    for variant, per_field in totals.items():
        every = [score for scores in per_field.values() for score in scores]
        spent = seconds[variant]
        summary[variant] = {"accuracy": {name: round(sum(v) / len(v), 3) for name, v in per_field.items()},
                            "micro": round(sum(every) / len(every), 3) if every else None,
                            "seconds_per_contract": round(sum(spent) / max(1, len(spent)), 2)}
    print(json.dumps({"summary": summary, "donors": donors, "targets": len(targets),
                      "load_average_end": os.getloadavg()[0]}, indent=1))


if __name__ == "__main__":
    main()
