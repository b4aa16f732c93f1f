"""CPU time of one API read in one process: the document list (50 per page) and detail, called through
Django's WSGI handler (every middleware, DRF, the query, the audit event and its commit) with a
``service`` token on the API benchmark's data (``bench/seed_documents.py``, SQLite by default).

    .venv/bin/python bench/api_request_cpu.py                                 # this checkout
    .venv/bin/python bench/api_request_cpu.py --tree main:/work/main --rounds 2  # A/B, alternating
    .venv/bin/python bench/api_request_cpu.py --profile list                  # where the time goes

Each measurement runs in a fresh process of the checkout measured (its own code, the same data dir),
sides alternating per round; the figure is process CPU time per request (``time.process_time``), best
of three batches, which drifts less on a shared machine than wall time. ``--profile`` prints cProfile's
top functions by cumulative and by own time instead (its overhead doubles the figures: compare shares).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs inside the measured checkout: argv = endpoint, requests, profile (0/1); stdin = the seed JSON.
CHILD = r"""
import cProfile, io, json, pstats, sys, time
seed = json.loads(sys.stdin.read())
import django
django.setup()
from django.core.handlers.wsgi import WSGIHandler
from django.urls import get_resolver
get_resolver().url_patterns
app = WSGIHandler()
paths = {"list": ("/api/v1/documents/", "page_size=50"),
         "detail": (f"/api/v1/documents/{seed['document']}/", "")}
path, query = paths[sys.argv[1]]

def call():
    status = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000", "HTTP_ACCEPT": "*/*",
               "HTTP_AUTHORIZATION": f"Token {seed['token']}", "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "127.0.0.1"}
    body = app(environ, lambda s, h: status.append(s))
    b"".join(body)
    body.close()
    assert status[0].startswith("200"), status

n = int(sys.argv[2])
for _ in range(50):
    call()
if sys.argv[3] == "1":
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        call()
    profile.disable()
    for order in ("cumulative", "tottime"):
        pstats.Stats(profile).sort_stats(order).print_stats(40)
else:
    batches = []
    for _ in range(3):
        started = time.process_time()
        for _ in range(n):
            call()
        batches.append((time.process_time() - started) / n * 1000)
    print(json.dumps({"cpu_ms": round(min(batches), 3), "batches_ms": [round(b, 3) for b in batches]}))
"""


def measure(root: Path, env: dict, seed: dict, endpoint: str, requests: int, profile: bool) -> str:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, endpoint, str(requests), "1" if profile else "0"],
        cwd=root, env=env, input=json.dumps(seed), capture_output=True, text=True, check=True,
    )
    return out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--list-requests", type=int, default=300)
    parser.add_argument("--detail-requests", type=int, default=800)
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL:PATH",
                        help="another checkout measured on the same data, alternating (repeatable)")
    parser.add_argument("--profile", choices=["list", "detail"], help="print a cProfile of this endpoint")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "bench"))
    from api_vs_drf import prepare_docintel

    work = Path(tempfile.mkdtemp(prefix="docintel-request-cpu-"))
    try:
        env, seed = prepare_docintel(work / "data", args.documents, args.events)
        env = {**env, "DOCINTEL_API_RATE": "100000000/min"}
        others = [(label, Path(path)) for label, path in (tree.split(":", 1) for tree in args.tree)]
        sides = [("this", ROOT), *others]
        if args.profile:
            print(measure(ROOT, env, seed, args.profile, args.list_requests, True))
            return
        results = []
        for number in range(args.rounds):
            for label, root in sides if number % 2 == 0 else list(reversed(sides)):
                for endpoint in ("list", "detail"):
                    requests = args.list_requests if endpoint == "list" else args.detail_requests
                    load = float(Path("/proc/loadavg").read_text().split()[0])
                    figure = json.loads(measure(root, env, seed, endpoint, requests, False))
                    results.append({"side": label, "endpoint": endpoint, "round": number + 1,
                                    "load": load, **figure})
                    print(json.dumps(results[-1]), flush=True)
        print("\n| side | endpoint | round | CPU ms per request (best of 3) | load before |")
        print("|---|---|---:|---:|---:|")
        for r in results:
            print(f"| {r['side']} | {r['endpoint']} | {r['round']} | {r['cpu_ms']:.2f} | {r['load']:.1f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
