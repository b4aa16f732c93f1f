"""docintel's API read paths side by side with the plain-DRF yardstick (../shared/bench/drf-anchor), in
the same run, alternating the two servers (A, B, B, A, A, B...), same wrk settings (2 threads, 32
connections, keep-alive), both seeded with the same number of documents.

    .venv/bin/python bench/api_vs_drf.py --documents 10000 --rounds 3 --seconds 20
    .venv/bin/python bench/api_vs_drf.py --documents 1000000 --no-drf --rounds 2   # docintel alone
    .venv/bin/python bench/api_vs_drf.py --uploads                                 # + uploads under load
    .venv/bin/python bench/api_vs_drf.py --variant ungrouped:DOCINTEL_READ_EVENTS_GROUP_COMMIT=off  # A/B
    .venv/bin/python bench/api_vs_drf.py --tree main:/work/main       # another checkout's code, same data

docintel runs on a throw-away data dir (SQLite, or PostgreSQL when DATABASE_URL is set: the database is
dropped and re-created), seeded by ``bench/seed_documents.py``, served by gunicorn with
``deploy/gunicorn.conf.py`` (``--docintel-args`` to try others), with the per-token rate limit lifted and
a ``service`` token (what internal systems use). The yardstick runs with this repository's own venv
(the same Django, DRF and gunicorn versions as its requirements.txt) in its published best
configuration (sync, 5 workers), its own SQLite file and its own seed command.

Per run it records requests/s, p50/p99, non-2xx responses, the load average before the run and the
share of the two CPUs used by other processes during it (the machine is shared). Prints a Markdown
table and writes every run as JSON (``--out``). Needs wrk.
"""

from __future__ import annotations

import argparse
import json
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
ANCHOR = ROOT.parent / "shared" / "bench" / "drf-anchor" / "drf_anchor"
if not ANCHOR.exists():
    ANCHOR = Path("/work/shared/bench/drf-anchor/drf_anchor")
PAGE = 50


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle, sum(fields[:8])


def worker_jiffies(pid: int) -> dict[int, int]:
    """CPU jiffies used so far by each child of ``pid`` (the gunicorn workers)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    used = {}
    for child in map(int, children):
        try:
            stat = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            used[child] = int(stat[11]) + int(stat[12])
        except (OSError, IndexError):
            pass
    return used


def connections_per_process(port: int) -> list[int]:
    """Established connections on the server's port, counted per process that holds them, largest
    first: with keep-alive a connection stays with the worker that accepted it, so this shows whether
    the workers share the clients (e.g. [16, 16]) or one holds most of them ([26, 6])."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
    ).stdout
    counts: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", out):
        counts[pid] = counts.get(pid, 0) + 1
    return sorted(counts.values(), reverse=True)


def tree_jiffies(pid: int) -> int:
    """CPU jiffies used so far by ``pid`` and its children (gunicorn master and workers)."""
    total = 0
    pids = [pid]
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    pids += [int(p) for p in children]
    for p in pids:
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(stat[11]) + int(stat[12])
        except (OSError, IndexError):
            pass
    return total


class Server:
    def __init__(
        self, name: str, command: list[str], cwd: Path, env: dict, port: int, ready_path: str, headers: dict
    ) -> None:
        self.name, self.command, self.cwd, self.env, self.port = name, command, cwd, env, port
        self.ready_path, self.headers = ready_path, headers
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                url = self.url(self.ready_path)  # our own server on loopback
                request = urllib.request.Request(url, headers=self.headers)  # noqa: S310
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except OSError:
                if self.process.poll() is not None:
                    output = self.process.stderr.read().decode()[-2000:]
                    raise RuntimeError(f"{self.name} exited: {output}") from None
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not start")

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def parse_latency(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(
    server: Server,
    path: str,
    *,
    seconds: int,
    connections: int = 32,
    threads: int = 2,
    warmup: int = 3,
) -> dict:
    headers = []
    for key, value in server.headers.items():
        headers += ["-H", f"{key}: {value}"]
    base = ["wrk", "-t", str(threads), "-c", str(connections), "--timeout", "10s", *headers]
    if warmup:
        subprocess.run([*base, "-d", f"{warmup}s", server.url(path)], capture_output=True, check=True)
    load = Path("/proc/loadavg").read_text().split()[0]
    busy0, total0 = cpu_jiffies()
    own0 = tree_jiffies(server.process.pid)
    workers0 = worker_jiffies(server.process.pid)
    run = subprocess.Popen(
        [*base, "-d", f"{seconds}s", "--latency", server.url(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(seconds / 2)  # mid-run: every wrk connection is open
    split = connections_per_process(server.port)
    stdout, _ = run.communicate()
    if run.returncode:
        raise subprocess.CalledProcessError(run.returncode, run.args, stdout)
    busy1, total1 = cpu_jiffies()
    own1 = tree_jiffies(server.process.pid)
    workers1 = worker_jiffies(server.process.pid)
    text = stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", text, re.MULTILINE))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    total = max(1, total1 - total0)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50_ms": parse_latency(latency["50"]),
        "p99_ms": parse_latency(latency["99"]),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
        "load_before": float(load),
        "cpu_busy_pct": round(100 * (busy1 - busy0) / total, 1),
        "cpu_server_pct": round(100 * (own1 - own0) / total, 1),
        # Per worker, largest first: connections held mid-run, and share of one core used.
        "connections_per_worker": split,
        "cpu_per_worker_pct": sorted(
            (
                round(100 * (workers1[w] - workers0[w]) * (os.cpu_count() or 1) / total)
                for w in workers1
                if w in workers0
            ),
            reverse=True,
        ),
    }


# --- the yardstick -------------------------------------------------------------------------------------
def prepare_drf(work: Path, documents: int) -> tuple[Path, dict, str]:
    project = work / "drf_anchor"
    shutil.copytree(ANCHOR, project, ignore=shutil.ignore_patterns("__pycache__", "db.sqlite3", "token.txt"))
    env = {**os.environ, "DRF_ANCHOR_DB": str(project / "db.sqlite3"), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for args in (["migrate", "-v0"], ["seed", "--rows", str(documents)]):
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=project, env=env, check=True, capture_output=True
        )
    return project, env, (project / "token.txt").read_text().strip()


def drf_server(project: Path, env: dict, token: str, gunicorn_args: list[str]) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "anchorproj.wsgi:application",
        "-b",
        f"127.0.0.1:{port}",
        *gunicorn_args,
        "--no-control-socket",
        "--log-level",
        "warning",
    ]
    return Server("drf", command, project, env, port, "/ok/", {"Authorization": f"Token {token}"})


# --- docintel ------------------------------------------------------------------------------------------
def docintel_env(data_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "docintel.settings",
            "DOCINTEL_DATA_DIR": str(data_dir),
            "DOCINTEL_API_RATE": "100000000/min",
            "DOCINTEL_API_UPLOAD_RATE": "100000000/min",
            "DOCINTEL_LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
            # Uploads: parse only (the bench measures the web tier and the runner, not the language model).
            "DOCINTEL_PIPELINE_STAGES": "parse: docintel.documents.pipeline.parse.ParseStage",
        }
    )
    env.pop("REDIS_URL", None)
    return env


def recreate_postgres(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare_docintel(data_dir: Path, documents: int, events: int) -> tuple[dict, dict]:
    env = docintel_env(data_dir)
    if env.get("DATABASE_URL"):
        recreate_postgres(env["DATABASE_URL"])
    subprocess.run(
        [sys.executable, "manage.py", "init_data_dir"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "seed_documents.py"),
            "--documents",
            str(documents),
            "--events",
            str(events),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return env, json.loads(out.strip().splitlines()[-1])


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """``label:NAME=VALUE,NAME=VALUE``: another docintel side, the same server with these environment
    variables (e.g. ``ungrouped:DOCINTEL_READ_EVENTS_GROUP_COMMIT=off`` or ``2x8:DOCINTEL_WEB_THREADS=8``)."""
    label, _, assignments = text.partition(":")
    pairs = dict(item.split("=", 1) for item in assignments.split(",") if item)
    return label, pairs


def docintel_server(
    env: dict, token: str, gunicorn_args: list[str], name: str = "docintel", root: Path = ROOT
) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "docintel.wsgi:application",
        "-b",
        f"127.0.0.1:{port}",
        *gunicorn_args,
        "--log-level",
        "warning",
    ]
    return Server(
        name,
        command,
        root,
        env,
        port,
        "/api/v1/documents/?page_size=1",
        {"Authorization": f"Token {token}"},
    )


def upload_load(server: Server, pdf: Path, *, seconds: int, connections: int = 8) -> dict:
    """``connections`` clients each uploading a unique ~1 MB PDF (a counter in a trailing comment defeats
    deduplication) in a closed loop, multipart, keep-alive; latencies measured per request."""
    import threading

    import httpx

    data = pdf.read_bytes()
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    load = float(Path("/proc/loadavg").read_text().split()[0])
    busy0, total0 = cpu_jiffies()

    def client(number: int) -> None:
        with httpx.Client(base_url=server.url(""), headers=server.headers, timeout=60) as http:
            count = 0
            while time.monotonic() < stop_at:
                count += 1
                body = data + f"\n%bench {number}-{count}-{time.monotonic_ns()}\n".encode()
                started = time.perf_counter()
                response = http.post(
                    "/api/v1/documents/", files={"file": ("bench.pdf", body, "application/pdf")}
                )
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    failures[0] += response.status_code != 202

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    workers0 = worker_jiffies(server.process.pid)
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(seconds / 2)
    split = connections_per_process(server.port)  # all connections, lists' too when run together
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    busy1, total1 = cpu_jiffies()
    workers1 = worker_jiffies(server.process.pid)
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "non2xx": failures[0],
        "socket_errors": 0,
        "load_before": load,
        "cpu_busy_pct": round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
        "cpu_server_pct": None,
        "connections_per_worker": split,
        "cpu_per_worker_pct": sorted(
            (
                round(100 * (workers1[w] - workers0[w]) * (os.cpu_count() or 1) / max(1, total1 - total0))
                for w in workers1
                if w in workers0
            ),
            reverse=True,
        ),
    }


def sample_pdf(work: Path, megabytes: float = 1.0) -> Path:
    """A ~1 MB PDF as clerks upload them: three pages of contract text and a page with a scanned-looking
    image (random pixels, which no compression shrinks), made with fpdf2 and Pillow."""
    import random

    from fpdf import FPDF
    from PIL import Image

    side = int((megabytes * 1024 * 1024 / 3) ** 0.5)
    rng = random.Random(7)
    image = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    paragraph = (
        "This Services Agreement is entered into by Acme Health LLC and Northwind Clinic. "
        "The Provider shall deliver the Services described in Schedule A. "
    ) * 12
    for page in range(3):
        pdf.add_page()
        pdf.multi_cell(0, 5, f"Page {page + 1}. " + paragraph)
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=150)
    path = work / "upload.pdf"
    pdf.output(str(path))
    return path


def run_concurrently(jobs: list) -> list:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(jobs)) as pool:
        return [f.result() for f in [pool.submit(job) for job in jobs]]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=10_000, help="audit events seeded for docintel")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--no-drf", action="store_true", help="docintel alone (e.g. at 1,000,000 documents)")
    parser.add_argument(
        "--uploads",
        action="store_true",
        help="also: 1 MB PDF uploads (8 connections), alone and together with list requests",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="wrk's keep-alive connections (more than the workers' caps: some wait to be accepted)",
    )
    parser.add_argument("--drf-args", default="-k sync -w 5")
    parser.add_argument("--docintel-args", default=f"-c {ROOT / 'deploy' / 'gunicorn.conf.py'}")
    parser.add_argument("--endpoints", default="list,detail,audit,extraction,redacted,page200")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL:NAME=VALUE,...",
        help="another docintel side in the same run, with these environment variables (repeatable); "
        "sides alternate in order, then in reverse",
    )
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="LABEL:PATH",
        help="another docintel side served from another checkout (e.g. main:/work/main), with its own "
        "deploy/gunicorn.conf.py, on the same data (repeatable): code A/B in the same run",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("needs wrk: apt-get install -y wrk")

    work = Path(tempfile.mkdtemp(prefix="docintel-vs-drf-"))
    results: list[dict] = []
    try:
        print(f"seeding {args.documents} documents ...", flush=True)
        denv, seeded = prepare_docintel(work / "docintel", args.documents, args.events)
        doc = seeded["document"]
        wanted = args.endpoints.split(",")
        docintel_paths = {
            "list": f"/api/v1/documents/?page_size={PAGE}",
            "detail": f"/api/v1/documents/{doc}/",
            "audit": f"/api/v1/audit/events/?page_size={PAGE}",
            "extraction": f"/api/v1/documents/{doc}/extraction/",
            "redacted": f"/api/v1/documents/{doc}/redacted/",
            "page200": f"/api/v1/documents/?page_size={PAGE}&page=200",
        }
        sides = []
        if not args.no_drf:
            project, drf_env, drf_token = prepare_drf(work, args.documents)
            drf_paths = {
                "list": "/api/documents/?page=1",
                "detail": f"/api/documents/{args.documents // 2}/",
                "page200": "/api/documents/?page=200",
            }
            sides.append(
                ("drf", lambda: drf_server(project, drf_env, drf_token, args.drf_args.split()), drf_paths)
            )
        sides.append(
            (
                "docintel",
                lambda: docintel_server(denv, seeded["token"], args.docintel_args.split()),
                docintel_paths,
            )
        )
        for label, extra in map(parse_variant, args.variant):
            sides.append(
                (
                    f"docintel-{label}",
                    lambda extra=extra, label=label: docintel_server(
                        {**denv, **extra}, seeded["token"], args.docintel_args.split(), f"docintel-{label}"
                    ),
                    docintel_paths,
                )
            )
        for label, path in (tree.split(":", 1) for tree in args.tree):
            tree_args = args.docintel_args.replace(str(ROOT), str(Path(path).resolve())).split()
            sides.append(
                (
                    f"docintel-{label}",
                    lambda tree_args=tree_args, label=label, path=path: docintel_server(
                        denv, seeded["token"], tree_args, f"docintel-{label}", Path(path).resolve()
                    ),
                    docintel_paths,
                )
            )
        pdf = sample_pdf(work) if args.uploads else None
        print(f"seeded in {seeded['seconds']} s; {os.cpu_count()} CPUs; load {os.getloadavg()}", flush=True)
        for round_number in range(args.rounds):
            order = sides if round_number % 2 == 0 else list(reversed(sides))
            for name, make, paths in order:
                with make() as server:
                    for endpoint in wanted:
                        if endpoint not in paths:
                            continue
                        usual = server.headers
                        if endpoint == "audit":  # compliance officers read the audit log
                            server.headers = {"Authorization": f"Token {seeded['audit_token']}"}
                        result = wrk(
                            server, paths[endpoint], seconds=args.seconds, connections=args.connections
                        )
                        server.headers = usual
                        results.append(
                            {
                                "server": name,
                                "endpoint": endpoint,
                                "round": round_number + 1,
                                "documents": args.documents,
                                **result,
                            }
                        )
                        print(json.dumps(results[-1]), flush=True)
                    if name.startswith("docintel") and pdf is not None:
                        alone = upload_load(server, pdf, seconds=args.seconds)
                        results.append(
                            {
                                "server": name,
                                "endpoint": "upload_1mb_c8",
                                "round": round_number + 1,
                                "documents": args.documents,
                                **alone,
                            }
                        )
                        print(json.dumps(results[-1]), flush=True)
                        upload, listing = run_concurrently(
                            [
                                lambda s=server: upload_load(s, pdf, seconds=args.seconds),
                                lambda s=server: wrk(
                                    s, docintel_paths["list"], seconds=args.seconds, warmup=0
                                ),
                            ]
                        )
                        for endpoint, result in (
                            ("upload_1mb_c8_with_lists", upload),
                            ("list_with_uploads", listing),
                        ):
                            results.append(
                                {
                                    "server": name,
                                    "endpoint": endpoint,
                                    "round": round_number + 1,
                                    "documents": args.documents,
                                    **result,
                                }
                            )
                            print(json.dumps(results[-1]), flush=True)
    finally:
        if args.out:
            args.out.write_text(json.dumps(results, indent=1))
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(
        "| server | endpoint | round | req/s | p50 ms | p99 ms | non-2xx | load before | CPU busy % | "
        "server CPU % | connections per worker | CPU % of a core per worker |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        print(
            f"| {r['server']} | {r['endpoint']} | {r['round']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['non2xx']} | {r['load_before']:.1f} | {r['cpu_busy_pct']} | "
            f"{r['cpu_server_pct']} | {'/'.join(map(str, r.get('connections_per_worker') or []))} | "
            f"{'/'.join(map(str, r.get('cpu_per_worker_pct') or []))} |"
        )
    print_ratios(results)


def print_ratios(results: list[dict]) -> None:
    """Each docintel side over the yardstick per endpoint and round, and over all rounds (sums of
    req/s); and requests per second of the server's own CPU (both shares of a shared machine drift,
    this less)."""
    by = {(r["server"], r["endpoint"], r["round"]): r for r in results}
    sides = sorted({s for s, _, _ in by if s != "drf"})
    for side in sides:
        pairs = sorted({(e, n) for s, e, n in by if s == side and ("drf", e, n) in by})
        if not pairs:
            continue
        print()
        print(
            f"| endpoint | round | DRF req/s (p99) | {side} req/s (p99) | ratio | "
            f"req per CPU-second DRF / {side} |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        for endpoint, number in pairs:
            drf, doc = by[("drf", endpoint, number)], by[(side, endpoint, number)]
            per_cpu = [
                r["rps"] / max(r["cpu_server_pct"] or 0.1, 0.1) * 100 / (os.cpu_count() or 1)
                for r in (drf, doc)
            ]
            print(
                f"| {endpoint} | {number} | {drf['rps']:.1f} ({drf['p99_ms']:.0f} ms) | "
                f"{doc['rps']:.1f} ({doc['p99_ms']:.0f} ms) | {doc['rps'] / drf['rps']:.2f}x | "
                f"{per_cpu[0]:.0f} / {per_cpu[1]:.0f} |"
            )
        for endpoint in sorted({e for e, _ in pairs}):
            drf = sum(by[("drf", endpoint, n)]["rps"] for e, n in pairs if e == endpoint)
            doc = sum(by[(side, endpoint, n)]["rps"] for e, n in pairs if e == endpoint)
            print(f"| {endpoint} | all | {drf:.1f} | {doc:.1f} | {doc / drf:.2f}x | |")


if __name__ == "__main__":
    main()
