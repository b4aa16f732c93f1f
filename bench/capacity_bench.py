"""Capacity model inputs: CPU-seconds per page for each pipeline stage, and model tokens per document.

    .venv/bin/python bench/capacity_bench.py [--contracts N] [--notes N] [--model-server]

Documents go through the real pipeline (in-process runner, the same task code a Celery worker runs) on
a throw-away SQLite data dir. Each stage is wrapped so that the CPU time of the thread that runs it,
plus that of its reaped children (the sandboxed PDF parse), is recorded per document. With
``--model-server`` the extract stage calls llama.cpp's OpenAI-compatible server (the vLLM stand-in) and
the model's token counts are read from the ``model.inference`` audit events; the server's own CPU is
reported apart, since in production it is a GPU's work. CPU time, not wall time: the machine is shared.

Data: CUAD contracts (public filings, nobody here wrote them) and the team's synthetic clinical notes
(written by us: say so wherever their figures are used).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The stages below are named by dotted path in the settings: let that path find this very module.
sys.modules.setdefault("bench.capacity_bench", sys.modules[__name__])
DATA_DIR = tempfile.mkdtemp(prefix="docintel-capacity-")
os.environ.update({"DJANGO_SETTINGS_MODULE": "docintel.settings", "DOCINTEL_DATA_DIR": DATA_DIR})
for name in ("DATABASE_URL", "REDIS_URL", "DOCINTEL_BROKER_URL"):
    os.environ.pop(name, None)  # embedded defaults: SQLite and the in-process runner
STAGES = ("parse", "classify", "redact", "extract")
os.environ["DOCINTEL_PIPELINE_STAGES"] = ",".join(f"{s}: bench.capacity_bench.Measured{s.title()}"
                                                  for s in STAGES)

import django  # noqa: E402

from docintel.checks import prepare_data_dir  # noqa: E402

prepare_data_dir(Path(DATA_DIR), Path(DATA_DIR) / "keys", Path(DATA_DIR) / "keys" / "django_secret_key")
django.setup()

from django.core.management import call_command  # noqa: E402

from docintel.documents.pipeline.classify import ClassifyStage  # noqa: E402
from docintel.documents.pipeline.parse import ParseStage  # noqa: E402
from docintel.redaction.stage import RedactStage  # noqa: E402
from extraction.stage import ExtractStage  # noqa: E402

CPU: dict[str, dict[str, float]] = defaultdict(dict)  # stage -> document id -> CPU seconds
_lock = threading.Lock()


def cpu_now() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.thread_time() + children.ru_utime + children.ru_stime


def measured(stage_class):
    class Measured(stage_class):
        def run(self, document) -> None:
            started = cpu_now()
            try:
                super().run(document)
            finally:
                with _lock:
                    CPU[self.name][str(document.pk)] = cpu_now() - started

    Measured.__name__ = f"Measured{stage_class.__name__}"
    return Measured


MeasuredParse = measured(ParseStage)
MeasuredClassify = measured(ClassifyStage)
MeasuredRedact = measured(RedactStage)
MeasuredExtract = measured(ExtractStage)


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_model_server() -> tuple[subprocess.Popen, str]:
    import httpx

    from extraction.backends.embedded import model_path
    from tests.ops.services import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "8192", "--n_threads", "1", "--model_alias", "smollm2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(240):
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("llama.cpp server did not start")


def documents(contracts: int, notes: int) -> list[tuple[str, Path]]:
    corpus = (ROOT.parent / "shared" / "corpus" / "contracts" / "pdf").resolve()
    picked = [("contract", p) for p in sorted(corpus.glob("*.pdf"))[:contracts]]
    note_dir = ROOT / "fixtures" / "clinical_notes" / "samples"
    picked += [("clinical_note", p) for p in sorted(note_dir.glob("*.txt"))[:notes]]
    return picked


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=10)
    parser.add_argument("--notes", type=int, default=3)
    parser.add_argument("--model-server", action="store_true",
                        help="extract through llama.cpp's server and count tokens (slow on CPU)")
    args = parser.parse_args()
    from django.conf import settings

    server = None
    if args.model_server:
        server, url = start_model_server()
        settings.LLM_URL, settings.LLM_MODEL = url, "smollm2"
    else:
        settings.PIPELINE_STAGES = settings.PIPELINE_STAGES[:3]  # parse, classify, redact
    call_command("migrate", verbosity=0)

    from audit.models import AuditEvent
    from docintel.documents.actions import upload_path
    from docintel.documents.models import Document
    from docintel.task_runner import wait_idle

    kinds = {}
    server_cpu = {}
    for kind, path in documents(args.contracts, args.notes):
        before = process_cpu(server.pid) if server else 0.0
        document, _ = upload_path(path, kind=kind, source="bench")
        wait_idle()
        kinds[str(document.pk)] = kind
        if server:
            server_cpu[str(document.pk)] = process_cpu(server.pid) - before
    if server:
        server.terminate()

    tokens = defaultdict(lambda: [0, 0, 0])  # document -> prompt, completion, calls
    for document_id, details in AuditEvent.objects.filter(action="model.inference").values_list(
            "document_id", "details"):
        entry = json.loads(details)
        row = tokens[str(document_id)]
        row[0] += entry.get("prompt_tokens") or 0
        row[1] += entry.get("completion_tokens") or 0
        row[2] += 1

    report: dict = {"load_average_at_end": os.getloadavg()[0], "by_kind": {}}
    for kind in ("contract", "clinical_note"):
        docs = Document.objects.filter(pk__in=[d for d, k in kinds.items() if k == kind])
        if not docs:
            continue
        pages = {str(d.pk): max(d.pages or 1, 1) for d in docs}
        entry: dict = {"documents": len(pages), "pages_mean": round(statistics.mean(pages.values()), 1),
                       "statuses": sorted({d.status for d in docs})}
        for stage in STAGES:
            per_doc = {d: CPU[stage][d] for d in pages if d in CPU[stage]}
            if per_doc:
                pages_done = sum(pages[d] for d in per_doc)
                entry[f"{stage}_cpu_s_per_page"] = round(sum(per_doc.values()) / pages_done, 4)
                entry[f"{stage}_cpu_s_per_doc"] = round(statistics.mean(per_doc.values()), 3)
        if tokens:
            rows = [tokens[d] for d in pages if d in tokens]
            if rows:
                entry["prompt_tokens_per_doc"] = round(statistics.mean(r[0] for r in rows))
                entry["completion_tokens_per_doc"] = round(statistics.mean(r[1] for r in rows))
                entry["model_calls_per_doc"] = round(statistics.mean(r[2] for r in rows), 2)
                entry["model_server_cpu_s_per_doc"] = round(statistics.mean(server_cpu[d] for d in pages), 2)
        report["by_kind"][kind] = entry
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
