"""Where the write time of one audited read goes, and what a read's event costs under concurrency,
with reads' events committed one transaction each (``off``) and in groups (``sqlite``/``on``).

    .venv/bin/python bench/read_event_cost.py --events 10000 --seconds 5 --rounds 2

On a throw-away data dir (SQLite; PostgreSQL when DATABASE_URL is set: that database is dropped and
re-created) seeded by ``bench/seed_documents.py`` (the API benchmark's data). Two parts:

1. **Phases of one read's event**, one thread, ``--samples`` events: the wait for the write lock and
   ``BEGIN`` (entering ``transaction.atomic``), each statement of the append (timed around the
   driver's execute), the commit and the lock's release (leaving the block), and the event's
   preparation (canonical details) before any of it.
2. **Under concurrency**: ``--processes`` processes of ``--threads`` threads, each thread calling
   ``record_read`` in a closed loop for ``--seconds`` after ``--work-ms`` of Python work (a request's
   own CPU), the two modes alternating per round: events/s,
   the wall time the database's writers spend per event (the inverse: the "1.3 ms" of
   docs/BENCHMARKS.md), each call's p50/p99, and events per commit.

Prints JSON lines, then a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def prepare(data_dir: Path, documents: int, events: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from api_vs_drf import prepare_docintel

    env, _ = prepare_docintel(data_dir, documents, events)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DOCINTEL_", "DJANGO_", "DATABASE"))})


def setup_django():
    import django

    django.setup()


def phases(samples: int) -> dict:
    """Time each part of one read's event, ``samples`` times, one thread."""
    from django.db import connection, transaction

    from audit.actions import prepare_event, record_prepared
    from docintel.documents.models import Document

    document = Document.objects.values_list("pk", flat=True).first()
    spent: dict[str, list[float]] = {}

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            name = "select max(seq)" if sql.lstrip().upper().startswith("SELECT") else "insert"
            spent.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    for _ in range(samples):
        t0 = time.perf_counter()
        event = prepare_event("document.viewed", document=document, actor=None, purpose="document access",
                              details={"what": "document", "via": "bench"})
        t1 = time.perf_counter()
        block = transaction.atomic()
        block.__enter__()
        t2 = time.perf_counter()
        with connection.execute_wrapper(timed):
            t3 = time.perf_counter()
            record_prepared(event)
            t4 = time.perf_counter()
        block.__exit__(None, None, None)
        t5 = time.perf_counter()
        for name, value in (("prepare", t1 - t0), ("lock + BEGIN", t2 - t1), ("append (all)", t4 - t3),
                            ("COMMIT + release", t5 - t4), ("total", t5 - t0)):
            spent.setdefault(name, []).append(value * 1000)
    summary = {}
    for name, values in spent.items():
        values.sort()
        summary[name] = {"mean_ms": round(statistics.fmean(values), 4),
                         "p50_ms": round(values[len(values) // 2], 4),
                         "p99_ms": round(values[int(len(values) * 0.99)], 4), "max_ms": round(values[-1], 3)}
    return summary


def _busy(milliseconds: float) -> None:
    """Python work holding the GIL, as a request's own handling does (parsing, query, rendering)."""
    until = time.perf_counter() + milliseconds / 1000
    while time.perf_counter() < until:
        pass


def _worker(mode: str, threads: int, seconds: float, work_ms: float, poll_max_ms: float | None,
            switch_ms: float | None, ready, go, queue) -> None:
    os.environ["DOCINTEL_READ_EVENTS_GROUP_COMMIT"] = mode
    setup_django()
    if poll_max_ms is not None:
        from docintel.sqlite_backend import base

        base.LOCK_POLL_MAX_S = poll_max_ms / 1000
    if switch_ms is not None:
        sys.setswitchinterval(switch_ms / 1000)
    from django.db import connections

    from docintel.documents import access
    from docintel.documents.models import Document

    document = Document.objects.values_list("pk", flat=True).first()
    connections.close_all()
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    ready.put(os.getpid())
    go.wait()
    stop = time.monotonic() + seconds

    def loop() -> None:
        mine = []
        while time.monotonic() < stop:
            _busy(work_ms)
            started = time.perf_counter()
            try:
                access.record_read(document, None, "document", via="bench")
            except Exception:
                failures[0] += 1
            mine.append((time.perf_counter() - started) * 1000)
        connections.close_all()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    group = access.read_event_group()
    queue.put({"latencies": latencies, "failures": failures[0], "commits": group.commits,
               "events": group.events})


def concurrent(mode: str, processes: int, threads: int, seconds: float, work_ms: float,
               poll_max_ms: float | None = None, switch_ms: float | None = None) -> dict:
    context = multiprocessing.get_context("spawn")
    queue, ready, go = context.Queue(), context.Queue(), context.Event()
    load = os.getloadavg()[0]
    workers = [context.Process(target=_worker, args=(mode, threads, seconds, work_ms, poll_max_ms,
                                                                 switch_ms, ready, go, queue))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    for _ in workers:  # every process imported and connected before the clock starts
        ready.get(timeout=120)
    go.set()
    parts = [queue.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join(30)
    latencies = sorted(x for part in parts for x in part["latencies"])
    events = len(latencies)
    commits = sum(part["commits"] for part in parts)
    return {
        "mode": mode, "processes": processes, "threads": threads, "work_ms": work_ms,
        "poll_max_ms": poll_max_ms, "switch_ms": switch_ms,
        "load_before": round(load, 2),
        "events_per_s": round(events / seconds, 1),
        "wall_ms_per_event": round(seconds * 1000 / max(events, 1), 3),
        "call_p50_ms": round(latencies[len(latencies) // 2], 3),
        "call_p99_ms": round(latencies[int(len(latencies) * 0.99)], 3),
        "events_per_commit": round(sum(p["events"] for p in parts) / commits, 2) if commits else 1.0,
        "failures": sum(part["failures"] for part in parts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="+", default=[4])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", default="off,on",
                        help="sides, alternating: off | on | sqlite, each optionally with /poll=MS (the "
                        "SQLite engine's longest pause asking for the inter-process lock) and /switch=MS "
                        "(sys.setswitchinterval), e.g. off,on,on/switch=1")
    parser.add_argument("--work-ms", type=float, default=1.0,
                        help="CPU of each request besides its event (a detail request: about 1.2 ms)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="read-event-cost-"))
    rows = []
    try:
        prepare(work / "data", args.documents, args.events)
        setup_django()
        parts = phases(args.samples)
        print(json.dumps({"phases": parts, "load": os.getloadavg()[0]}), flush=True)
        print("\n| part of one read's event | mean ms | p50 ms | p99 ms | max ms |")
        print("|---|---:|---:|---:|---:|")
        for name, t in parts.items():
            print(f"| {name} | {t['mean_ms']} | {t['p50_ms']} | {t['p99_ms']} | {t['max_ms']} |")
        from django.db import connections

        connections.close_all()
        modes = args.modes.split(",")
        for number in range(args.rounds):
            for threads in args.threads:
                for mode in modes if number % 2 == 0 else list(reversed(modes)):
                    name, *knobs = mode.split("/")
                    extra = {key: float(value) for key, value in (knob.split("=") for knob in knobs)}
                    row = {"round": number + 1, "side": mode, **concurrent(
                        name, args.processes, threads, args.seconds, args.work_ms,
                        extra.get("poll"), extra.get("switch"))}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n| round | side | processes x threads | events/s | wall ms per event | call p50 / p99 ms | "
          "events per commit | load |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['round']} | {r['side']} | {r['processes']} x {r['threads']} | {r['events_per_s']} | "
              f"{r['wall_ms_per_event']} | {r['call_p50_ms']} / {r['call_p99_ms']} | "
              f"{r['events_per_commit']} | {r['load_before']} |")


if __name__ == "__main__":
    main()
