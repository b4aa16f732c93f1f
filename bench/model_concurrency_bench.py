"""Model throughput from concurrency: documents through docintel's extraction against llama.cpp's own
server with N parallel slots (the stand-in for vLLM here), at 1, 2, 4 and 8 documents in flight, side by
side with the server alone answering the very requests docintel sent, at the same concurrency.

    bench/build_llama_server.sh                    # once: llama-server from the vendored llama.cpp
    .venv/bin/python bench/model_concurrency_bench.py --slots 4 --documents 8 --concurrency 1 2 4 8

Documents: the first ``--documents`` CUAD contracts in ../shared/corpus/contracts (real contracts
nobody here wrote), parsed by docintel, first ``--chunk-chars`` characters, one chunk each, extracted in
``model`` mode (every field asked of the model; rules off, so the model's time is nearly all there is).
Per concurrency it reports documents/hour, generated and read tokens/s, and the pipeline overhead: the
wall time of the docintel run over the wall time of the server alone answering the same requests
(every request docintel posted for a document, retries included, in its order; documents at the same
concurrency; goal <= 1.10). The replay uses the requests recorded in the previous docintel run (the
model is greedy, so they repeat), which lets the two sides take turns going first. Writes audit events
into a throw-away SQLite data dir.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "contracts"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_llama_server(binary: str, model: Path, slots: int, threads: int, ctx_per_slot: int):
    import httpx

    port = free_port()
    log = open(tempfile.mkstemp(prefix="llama-server-", suffix=".log")[1], "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            binary,
            "-m",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--parallel",
            str(slots),
            "-c",
            str(ctx_per_slot * slots),
            "-t",
            str(threads),
            "-tb",
            str(threads),
            "--no-webui",
            "--alias",
            "smollm2",
            # Lets the bench erase the slots' cached prompts between runs (POST /slots/N?action=erase).
            "--slot-save-path",
            tempfile.mkdtemp(prefix="llama-slots-"),
            "--cache-ram",
            "0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"llama-server exited; see {log.name}")
        time.sleep(0.5)
    process.kill()
    raise RuntimeError("llama-server did not start")


def documents(count: int, chars: int) -> list[tuple[str, str]]:
    from docintel.parsing import parse_file
    from docintel.parsing.media_types import PDF

    texts = []
    for path in sorted((CORPUS / "pdf").glob("*.pdf"))[:count]:
        texts.append((path.name, parse_file(path, PDF).text[:chars]))
    return texts


def run_docintel(backend, texts: list[tuple[str, str]], concurrency: int) -> dict:
    from extraction.extractor import extract
    from extraction.schemas import get_schema

    schema = get_schema("contract")

    def one(item):
        started = time.monotonic()
        result = extract(item[1], schema, mode="model", backend=backend)
        steps = [s for s in result.route["steps"] if s["source"].startswith("model")]
        return (
            time.monotonic() - started,
            sum(s.get("prompt_tokens", 0) for s in steps),
            sum(s.get("completion_tokens", 0) for s in steps),
            result.valid,
        )

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        rows = list(pool.map(one, texts))
    wall = time.monotonic() - started
    return {
        "wall_s": wall,
        "prompt_tokens": sum(r[1] for r in rows),
        "completion_tokens": sum(r[2] for r in rows),
        "valid": sum(r[3] for r in rows),
    }


class RequestRecorder:
    """Keeps every request body docintel posts, by document (found by the document's opening
    characters in the prompt: a prefetched chunk is sent from another thread than its document's)."""

    def __init__(self, backend, texts: list[tuple[str, str]]):
        import threading

        self._keys = [(name, text[:200]) for name, text in texts]
        self._lock = threading.Lock()
        self.by_document: dict[str, list[dict]] = {}
        send = backend._post

        def recording_post(body: dict):
            content = "\n".join(str(message.get("content", "")) for message in body["messages"])
            name = next((name for name, key in self._keys if key and key in content), "(unknown)")
            with self._lock:
                self.by_document.setdefault(name, []).append(body)
            return send(body)

        backend._post = recording_post

    def take(self) -> dict[str, list[dict]]:
        with self._lock:
            recorded, self.by_document = self.by_document, {}
        return recorded


def erase_slots(url: str, slots: int) -> None:
    """Forget every slot's cached prompt, so that each run starts cold (the same requests are sent
    twice per concurrency: by docintel and straight to the server)."""
    import httpx

    root = url.removesuffix("/v1")
    for slot in range(slots):
        httpx.post(f"{root}/slots/{slot}", params={"action": "erase"}, timeout=30)


def run_server_alone(url: str, recorded: dict[str, list[dict]], concurrency: int) -> dict:
    """The server answering docintel's own requests without docintel: each document's requests in
    their order, ``concurrency`` documents at a time."""
    import httpx

    client = httpx.Client(base_url=url, timeout=600)

    def one(bodies: list[dict]):
        prompt = completion = 0
        for body in bodies:
            usage = client.post("/chat/completions", json=body).json().get("usage") or {}
            prompt += usage.get("prompt_tokens", 0)
            completion += usage.get("completion_tokens", 0)
        return prompt, completion

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        rows = list(pool.map(one, recorded.values()))
    return {
        "wall_s": time.monotonic() - started,
        "requests": sum(len(bodies) for bodies in recorded.values()),
        "prompt_tokens": sum(r[0] for r in rows),
        "completion_tokens": sum(r[1] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default="", help="llama-server binary (default: build/find it)")
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="llama.cpp threads; 1 where the cores are shared (its threads spin-wait)",
    )
    parser.add_argument("--documents", type=int, default=8)
    parser.add_argument("--chunk-chars", type=int, default=2000)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="docintel-model-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "docintel.settings",
            "DOCINTEL_DATA_DIR": str(data_dir),
            "DOCINTEL_LOG_LEVEL": "WARNING",
            "DOCINTEL_LLM_MAX_TOKENS": str(args.max_tokens),
            "DOCINTEL_EXTRACTION_MAX_CHUNKS": "1",
        }
    )
    # Requests queue for the server's slots; on shared cores a queued one can outwait the default.
    os.environ.setdefault("DOCINTEL_LLM_TIMEOUT_S", "900")
    os.environ.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "init_data_dir"], cwd=ROOT, check=True, capture_output=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from extraction.backends.embedded import model_path
    from extraction.backends.openai_http import OpenAIBackend

    binary = (
        args.server
        or subprocess.run(
            [str(ROOT / "bench" / "build_llama_server.sh")], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    texts = documents(args.documents, args.chunk_chars)
    process, url = start_llama_server(binary, model_path(), args.slots, args.threads, ctx_per_slot=4096)
    results = []
    try:
        backend = OpenAIBackend(
            url, "smollm2", max_prompt_chars=args.chunk_chars + 100, max_in_flight=args.slots
        )
        recorder = RequestRecorder(backend, texts)
        recorded: dict[str, list[dict]] = {}
        for index, concurrency in enumerate(args.concurrency):
            # Take turns going first (the shared machine's speed drifts within minutes); the first
            # round has no recording yet, so docintel goes first there.
            erase_slots(url, args.slots)
            if index % 2 and recorded:
                alone = run_server_alone(url, recorded, concurrency)
                erase_slots(url, args.slots)
                ours = run_docintel(backend, texts, concurrency)
                recorded = recorder.take()
            else:
                ours = run_docintel(backend, texts, concurrency)
                recorded = recorder.take()
                erase_slots(url, args.slots)
                alone = run_server_alone(url, recorded, concurrency)
            row = {
                "concurrency": concurrency,
                "slots": args.slots,
                "documents": len(texts),
                "load_before": os.getloadavg()[0],
                "docintel_wall_s": round(ours["wall_s"], 2),
                "docintel_documents_per_hour": round(3600 * len(texts) / ours["wall_s"]),
                "docintel_generated_tokens_per_s": round(ours["completion_tokens"] / ours["wall_s"], 1),
                "docintel_read_tokens_per_s": round(ours["prompt_tokens"] / ours["wall_s"], 1),
                "valid": ours["valid"],
                "requests": alone["requests"],
                "server_alone_wall_s": round(alone["wall_s"], 2),
                "server_alone_documents_per_hour": round(3600 * len(texts) / alone["wall_s"]),
                "server_alone_generated_tokens_per_s": round(alone["completion_tokens"] / alone["wall_s"], 1),
                "overhead": round(ours["wall_s"] / alone["wall_s"], 3),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    base = results[0]["docintel_documents_per_hour"] if results else 1
    print(
        "\n| in flight | slots | docs/hour | generated tok/s | read tok/s | vs 1 in flight | server alone "
        "docs/hour | overhead | load |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['concurrency']} | {r['slots']} | {r['docintel_documents_per_hour']} | "
            f"{r['docintel_generated_tokens_per_s']} | {r['docintel_read_tokens_per_s']} | "
            f"{r['docintel_documents_per_hour'] / base:.2f}x | {r['server_alone_documents_per_hour']} | "
            f"{r['overhead']:.3f} | {r['load_before']:.1f} |"
        )


if __name__ == "__main__":
    main()
