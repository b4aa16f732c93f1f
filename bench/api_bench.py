"""REST API throughput and p99 latency under 32 connections (wrk on loopback), and the list
endpoint's query count against page size.

    .venv/bin/python bench/api_bench.py [--workers 2 4] [--seconds 10] [--documents 300]

Starts gunicorn on a throw-away data dir (SQLite, or PostgreSQL when DATABASE_URL is set) with the
pipeline cut to its parse stage (the bench measures the API, not the language model), seeds
documents, then for each worker count runs wrk against: a static file through the same stack (the
baseline: what gunicorn + Django middleware cost), GET /api/v1/documents/ (page of 25), and POST of a
small unique text file. Prints requests/s, p50/p99 latency, non-2xx counts and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8791
CONNECTIONS = 32
PARSE_ONLY = "parse: docintel.documents.pipeline.parse.ParseStage"

UPLOAD_LUA = r"""
-- A small unique text file per request (no deduplication), multipart like any client sends it.
local counter = 0
local thread_id = 0
local boundary = "----docintelbench"
function setup(thread)
  thread:set("thread_id", math.random(1, 1000000000))
end
function init(args)
  thread_id = tonumber(wrk.thread:get("thread_id")) or math.random(1, 1000000000)
end
function request()
  counter = counter + 1
  local content = "Bench agreement " .. thread_id .. "-" .. counter .. " between Acme Ltd and Beta GmbH.\n"
  local body = "--" .. boundary .. "\r\n" ..
    'Content-Disposition: form-data; name="file"; filename="bench.txt"\r\n' ..
    "Content-Type: text/plain\r\n\r\n" .. content .. "\r\n--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/api/v1/documents/", {
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["Authorization"] = wrk.headers["Authorization"],
  }, body)
end
"""


def environment(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "docintel.settings", "DOCINTEL_DATA_DIR": str(data_dir),
        "DOCINTEL_PIPELINE_STAGES": PARSE_ONLY, "DOCINTEL_API_RATE": "100000000/min",
        "DOCINTEL_API_UPLOAD_RATE": "100000000/min", "DOCINTEL_LOG_LEVEL": "WARNING",
    })
    env.pop("REDIS_URL", None)  # tasks in-process: the bench measures the web tier only
    return env


def manage(env, *args) -> str:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout


def seed(env, count: int) -> str:
    manage(env, "init_data_dir")
    manage(env, "migrate", "-v0")
    token = manage(env, "issue_token", "bench", "--role", "admin").strip()
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from docintel.documents.actions import upload_document\n"
        "from docintel import task_runner\n"
        "user = get_user_model().objects.get(username='bench')\n"
        f"for i in range({count}):\n"
        "    upload_document([f'Seed agreement {i} between Acme Ltd and Beta GmbH.'.encode()],\n"
        "                    filename=f'seed-{i}.txt', actor=user, source='bench')\n"
        "task_runner.wait_idle(600)\n"
    )
    manage(env, "shell", "-c", code)
    return token


def query_counts(env) -> dict[int, int]:
    code = (
        "from django.db import connection\n"
        "from django.test.utils import CaptureQueriesContext\n"
        "from django.test import Client\n"
        "from docintel.accounts.models import ApiToken\n"
        "token, key = ApiToken.issue(ApiToken.objects.first().user, 'counts')\n"
        "client = Client(HTTP_AUTHORIZATION=f'Token {key}')\n"
        "client.get('/api/v1/documents/')\n"
        "for size in (1, 25, 100):\n"
        "    with CaptureQueriesContext(connection) as q:\n"
        "        r = client.get('/api/v1/documents/', {'page_size': size})\n"
        "    print('queries', size, len(r.json()['results']), len(q))\n"
    )
    out = manage(env, "shell", "-c", code)
    rows = [line.split() for line in out.splitlines() if line.startswith("queries ")]
    return {int(row[1]): int(row[3]) for row in rows}


def start_gunicorn(env, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "docintel.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--worker-class", "gthread", "--threads", "4", "--preload",
         "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/static/docintel/app.css", timeout=2)
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def warm_up(token: str) -> None:
    """A few requests per worker before measuring: first requests pay for lazy imports."""
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}/api/v1/documents/",
                                     headers={"Authorization": f"Token {token}"})
    for _ in range(20):
        urllib.request.urlopen(request, timeout=60).read()  # noqa: S310  (our own loopback server)


def wrk(path: str, token: str, seconds: int, script: Path | None = None) -> dict:
    command = ["wrk", "-t", "4", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "--timeout", "30s",
               "-H", f"Authorization: Token {token}"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True,
                         check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": latency.get("50"), "p99": latency.get("99"),
            "errors": int(non2xx.group(1)) if non2xx else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--documents", type=int, default=300)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("needs wrk: apt-get install -y wrk")

    data_dir = Path(tempfile.mkdtemp(prefix="docintel-api-bench-"))
    env = environment(data_dir)
    database = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite"
    print(f"seeding {args.documents} documents ({database}, data dir {data_dir})...", flush=True)
    token = seed(env, args.documents)
    counts = query_counts(env)
    print("list endpoint queries by page size: " + ", ".join(f"{s}: {n}" for s, n in counts.items()))

    script = data_dir / "upload.lua"
    script.write_text(UPLOAD_LUA)
    load = os.getloadavg()[0]
    print(f"\nwrk, {CONNECTIONS} connections, {args.seconds}s each, gunicorn gthread x4 threads, {database}, "
          f"{os.cpu_count()} cores, load average {load:.1f} at start")
    print(f"{'workers':>7} {'endpoint':<28} {'req/s':>8} {'p50':>9} {'p99':>9} {'non-2xx':>8} "
          f"{'vs static':>9}")
    try:
        for workers in args.workers:
            server = start_gunicorn(env, workers)
            try:
                warm_up(token)
                baseline = wrk("/static/docintel/app.css", token, args.seconds)
                runs = [("GET static file (baseline)", baseline),
                        ("GET /api/v1/documents/", wrk("/api/v1/documents/", token, args.seconds)),
                        ("POST /api/v1/documents/", wrk("/api/v1/documents/", token, args.seconds, script))]
                for name, result in runs:
                    ratio = result["rps"] / baseline["rps"]
                    print(f"{workers:>7} {name:<28} {result['rps']:>8.0f} {result['p50']:>9} "
                          f"{result['p99']:>9} {result['errors']:>8} {ratio:>9.3f}", flush=True)
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=60)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
