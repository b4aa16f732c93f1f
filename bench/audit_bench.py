"""Audit log costs on PostgreSQL: appends against plain inserts, integration lag, proofs, verification.

    .venv/bin/python bench/audit_bench.py [--database postgres://postgres@127.0.0.1:5432/audit_bench]
        [--writers 4] [--seconds 10] [--rounds 2] [--events 1000000] [--proof-sizes 1000000,10000000]
        [--keep-database] [--verify-rounds 1] [--compare-with ../main] [--no-export]

The database named by ``--database`` is dropped and made again (give it one of its own), unless
``--keep-database``: then a log seeded by an earlier run is reused and only topped up to ``--events``.

1. Appends, durable commits (``synchronous_commit=on``), one event per transaction: ``--writers``
   processes commit through ``record_event`` for ``--seconds`` while a sequencer process integrates
   them into the tree, as in production; then the same processes insert the same rows into an
   equivalent table (same columns, indexes and a sequence; no hash). A and B alternate ``--rounds``
   times (the machine drifts). Prints events/s, append and transaction p50/p99, the ratio, and the
   integration lag (event time to the start of the sequencer transaction that placed it) p50/p99/max.
2. Verification: the log is filled to ``--events`` (events and their tree written with COPY, a signed
   head every AUDIT_STH_EVERY leaves), then ``verify_log()`` walks all of it, ``--verify-rounds`` times,
   each in a fresh process. With ``--compare-with DIR`` each round also runs the verifier of the
   checkout in DIR (e.g. the main branch) over the same log, the two alternating (A/B, B/A), and the
   ratio of their CPU times is printed.
3. Export of the whole log to JSONL, and the stand-alone verifier over it.
4. Proofs: the tree alone is grown to each of ``--proof-sizes`` leaves (synthetic leaves), and
   inclusion and consistency proofs for random leaves are timed (median and p99 of 200).
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/audit_bench")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-sequencer", action="store_true",
                        help="appends without the sequencer beside them (what the writers alone cost)")
    parser.add_argument("--plain-indexes", choices=("same", "v1"), default="same",
                        help="same: the plain table copies every index of the log's table (LIKE ... "
                             "INCLUDING ALL); v1: the six indexes this bench gave it before (no pattern "
                             "index on action)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--proof-sizes", default="1000000,10000000")
    parser.add_argument("--keep-database", action="store_true",
                        help="reuse the database (and the log an earlier run seeded) instead of remaking it")
    parser.add_argument("--verify-rounds", type=int, default=1)
    parser.add_argument("--compare-with", metavar="DIR",
                        help="another checkout whose verifier runs over the same log, alternating")
    parser.add_argument("--no-export", action="store_true", help="skip the export and offline verifier")
    parser.add_argument("--appends-in-process", nargs=2, metavar=("KIND", "N"),
                        help="only N appends of KIND (docintel or plain), one per transaction, in this "
                             "process, then exit: under valgrind --tool=callgrind, the difference between "
                             "the counts of two N is the instructions of one append")
    return parser.parse_args()


ARGS = parse_args()
os.environ["DATABASE_URL"] = ARGS.database
os.environ["DOCINTEL_DATA_DIR"] = tempfile.mkdtemp(prefix="audit-bench-")
os.environ["DJANGO_SETTINGS_MODULE"] = "docintel.settings"


def recreate_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


if not ARGS.keep_database:
    recreate_database(ARGS.database)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from audit import export, heads, merkle, sequencer, tree  # noqa: E402
from audit.actions import canonical_details, record_event  # noqa: E402
from audit.entries import canonical_event_bytes  # noqa: E402
from audit.models import format_time, node_id  # noqa: E402

PLAIN_TABLE = "bench_plain_event"
LEAF_COPY = 'COPY audit_auditleaf ("index", event_seq, leaf_hash, integrated_at) FROM STDIN'
DOCUMENTS = [str(uuid.uuid4()) for _ in range(50)]


def sample_event(number: int) -> dict:
    """What a model inference records (contract §7), a payload on every fourth event."""
    return {
        "action": "model.inference", "document": DOCUMENTS[number % len(DOCUMENTS)], "purpose": "extraction",
        "details": {"model": "smollm2-135m-instruct", "model_version": "q8_0", "backend": "embedded",
                    "schema": "clinical_note", "schema_version": "1", "prompt_template_sha256": "a" * 64,
                    "input_sha256": "b" * 64, "output_sha256": "c" * 64, "prompt_tokens": 1800,
                    "completion_tokens": 240, "latency_ms": 812.5, "escalated": False, "route": "slm",
                    "n": number},
        "sensitive": {"data": {"diagnoses": [{"description": "type 2 diabetes", "icd10": "E11.9"}]}}
        if number % 4 == 0 else None,
    }


def create_plain_table() -> None:
    """The equivalent table: the log's columns and (by default) every one of its indexes, numbered by a
    sequence of its own; no triggers, no tree, no hash."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")  # a kept database: as new
        if ARGS.plain_indexes == "same":
            cursor.execute(f"CREATE TABLE {PLAIN_TABLE} (LIKE audit_auditevent INCLUDING ALL)")
        else:
            cursor.execute(f"CREATE TABLE {PLAIN_TABLE} (LIKE audit_auditevent INCLUDING DEFAULTS)")
            cursor.execute(f"ALTER TABLE {PLAIN_TABLE} ADD PRIMARY KEY (seq)")
            for columns in ("time", "action", "actor_id", "document_id", "document_id, seq", "action, seq"):
                cursor.execute(f"CREATE INDEX ON {PLAIN_TABLE} ({columns})")
        cursor.execute(f"CREATE SEQUENCE {PLAIN_TABLE}_seq OWNED BY {PLAIN_TABLE}.seq")
        cursor.execute(f"ALTER TABLE {PLAIN_TABLE} ALTER seq SET DEFAULT nextval('{PLAIN_TABLE}_seq')")


def plain_insert(event: dict) -> None:
    """The same row, without the chain: no lock, no head read, no hash; the payload is random bytes of
    the size the encrypted one would have."""
    from django.utils import timezone

    sensitive = "" if event["sensitive"] is None else base64.b64encode(
        os.urandom(12 + 16 + len(json.dumps(event["sensitive"])))).decode()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PLAIN_TABLE} (time, action, actor_id, actor_username, actor_role, document_id, "
            f"purpose, details, sensitive, prev_hash, hash) "
            f"VALUES (%s, %s, NULL, '', '', %s, %s, %s, %s, '', '')",
            [timezone.now(), event["action"], event["document"], event["purpose"],
             canonical_details(event["details"]), sensitive])


def logged_append(event: dict) -> None:
    record_event(event["action"], document=event["document"], purpose=event["purpose"],
                 details=event["details"], sensitive=event["sensitive"])


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _cpu_s(pid: int) -> float:
    """User plus system CPU seconds of a process so far (PostgreSQL runs on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_of_both(backend: int) -> float:
    """CPU seconds of this process and of its database backend: what one event costs the machine, a
    figure that the load of other programs disturbs much less than events per second do."""
    return _cpu_s(os.getpid()) + _cpu_s(backend)


def writer(kind: str, index: int, seconds: float, start_at: float, results) -> None:
    connections.close_all()  # a fresh connection per process
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")  # durable: the production setting
    backend = _backend_pid()
    append = logged_append if kind == "docintel" else plain_insert
    inside, whole, number = [], [], index * 10_000_000
    while time.time() < start_at:
        time.sleep(0.001)
    cpu_before = _cpu_of_both(backend)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        with transaction.atomic():
            before = time.perf_counter()
            append(sample_event(number))
            inside.append(time.perf_counter() - before)
        whole.append(time.perf_counter() - began)
        number += 1
    results.put((inside, whole, _cpu_of_both(backend) - cpu_before))


def sequencer_loop(stop, cpu_used) -> None:
    """The sequencer as a process of its own, integrating every AUDIT_INTEGRATE_EVERY_S."""
    connections.close_all()
    backend = _backend_pid()
    cpu_before = _cpu_of_both(backend)
    while not stop.is_set():
        sequencer.integrate(publish=False)
        time.sleep(settings.AUDIT_INTEGRATE_EVERY_S)
    sequencer.integrate(publish=False)
    cpu_used.value = _cpu_of_both(backend) - cpu_before


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_writers(kind: str) -> dict:
    first_seq = _max_seq() + 1
    connections.close_all()  # before forking: no child may inherit (and close) this process's socket
    context = multiprocessing.get_context("fork")
    results, stop = context.Queue(), context.Event()
    start_at = time.time() + 1.0
    sequencer_cpu = context.Value("d", 0.0)
    background = context.Process(target=sequencer_loop, args=(stop, sequencer_cpu))
    if not ARGS.no_sequencer:
        background.start()
    processes = [context.Process(target=writer, args=(kind, index, ARGS.seconds, start_at, results))
                 for index in range(ARGS.writers)]
    for process in processes:
        process.start()
    inside, whole, cpu = [], [], 0.0
    for _ in processes:
        got_inside, got_whole, got_cpu = results.get()
        inside += got_inside
        whole += got_whole
        cpu += got_cpu
    for process in processes:
        process.join()
    stop.set()
    if not ARGS.no_sequencer:
        background.join()
    row = {"kind": kind, "events": len(whole), "events_per_s": len(whole) / ARGS.seconds,
           "append_p50_ms": 1000 * percentile(inside, 0.50), "append_p99_ms": 1000 * percentile(inside, 0.99),
           "txn_p50_ms": 1000 * percentile(whole, 0.50), "txn_p99_ms": 1000 * percentile(whole, 0.99),
           "cpu_ms_per_event": 1000 * (cpu + sequencer_cpu.value) / max(1, len(whole)),
           "sequencer_cpu_ms_per_event": 1000 * sequencer_cpu.value / max(1, len(whole))}
    if kind == "docintel" and not ARGS.no_sequencer:
        row.update(_lag_since(first_seq))
    return row


def _max_seq() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_auditevent")
        return cursor.fetchone()[0]


def _lag_since(first_seq: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), MAX(lag), COUNT(*) FROM ("
            "SELECT EXTRACT(EPOCH FROM l.integrated_at - e.time) AS lag FROM audit_auditleaf l "
            "JOIN audit_auditevent e ON e.seq = l.event_seq WHERE e.seq >= %s) lags", [first_seq])
        p50, p99, worst, count = cursor.fetchone()
    return {"lag_p50_ms": 1000 * float(p50 or 0), "lag_p99_ms": 1000 * float(p99 or 0),
            "lag_max_ms": 1000 * float(worst or 0), "integrated": count}


def fill_log(total: int) -> float:
    """Events, their leaves and nodes and a signed head every AUDIT_STH_EVERY leaves, with COPY, until
    the log holds ``total`` events (what the sequencer would have written, made faster)."""
    import hashlib

    from django.utils import timezone

    sequencer.integrate_now()
    started = time.perf_counter()
    seq, size = _max_seq(), tree.size()
    compact = merkle.CompactRange(size, tree.border(size))
    now = timezone.now()
    stamp = format_time(now)
    heads_due: list[tuple[int, bytes]] = []
    leaf_rows: list[tuple] = []
    node_rows: list[tuple] = []
    raw = connection.connection
    # One COPY at a time per connection: the events first, then their leaves and nodes.
    with transaction.atomic():
        with raw.cursor() as cursor, cursor.copy(
                "COPY audit_auditevent (seq, time, action, actor_id, actor_username, actor_role, "
                "document_id, purpose, details, sensitive, prev_hash, hash) FROM STDIN") as events:
            while seq < total:
                seq += 1
                event = sample_event(seq)
                details = canonical_details(event["details"])
                sensitive = "" if event["sensitive"] is None else base64.b64encode(os.urandom(120)).decode()
                leaf = hashlib.sha256(b"\x00" + canonical_event_bytes(
                    seq, stamp, event["action"], None, "", "", event["document"], event["purpose"], details,
                    sensitive, "")).digest()
                events.write_row((seq, now, event["action"], None, "", "", event["document"],
                                  event["purpose"], details, sensitive, "", leaf.hex()))
                leaf_rows.append((compact.size, seq, leaf, now))
                node_rows.extend((node_id(level, index), digest)
                                 for (level, index), digest in compact.append(leaf) if level)
                if compact.size % settings.AUDIT_STH_EVERY == 0:
                    heads_due.append((compact.size, compact.root()))
        _copy_tree(raw, leaf_rows, node_rows)
        for tree_size, root in heads_due:
            heads.sign_head(tree_size, root, reason="interval")
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval('audit_event_seq', %s)", [seq])
    with connection.cursor() as cursor:
        for table in ("audit_auditevent", "audit_auditleaf", "audit_audittreenode"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def _copy_tree(raw, leaf_rows: list[tuple], node_rows: list[tuple]) -> None:
    with raw.cursor() as cursor, cursor.copy(LEAF_COPY) as leaves:
        for row in leaf_rows:
            leaves.write_row(row)
    with raw.cursor() as cursor, cursor.copy("COPY audit_audittreenode (node_id, hash) FROM STDIN") as nodes:
        for row in node_rows:
            nodes.write_row(row)


def grow_tree_only(total: int) -> float:
    """Synthetic leaves (no events) until the tree has ``total``, in chunks of a million so that memory
    stays bounded: proofs read only the tree."""
    from django.utils import timezone

    started = time.perf_counter()
    size = tree.size()
    compact = merkle.CompactRange(size, tree.border(size))
    raw = connection.connection
    now = timezone.now()
    with transaction.atomic():
        while compact.size < total:
            leaf_rows: list[tuple] = []
            node_rows: list[tuple] = []
            for _ in range(min(1_000_000, total - compact.size)):
                index = compact.size
                leaf = merkle.leaf_hash(index.to_bytes(8, "big"))
                leaf_rows.append((index, -1 - index, leaf, now))  # no such event: a stand-in for one
                node_rows.extend((node_id(level, position), digest)
                                 for (level, position), digest in compact.append(leaf) if level)
            _copy_tree(raw, leaf_rows, node_rows)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_auditleaf")
        cursor.execute("VACUUM ANALYZE audit_audittreenode")
    return time.perf_counter() - started


def time_proofs(size: int, samples: int = 200) -> dict:
    import random

    from audit.models import AuditLeaf

    chooser = random.Random(size)
    inclusion, consistency = [], []
    for _ in range(samples):
        index = chooser.randrange(size)
        seq = AuditLeaf.objects.values_list("event_seq", flat=True).get(index=index)
        began = time.perf_counter()
        proof = tree.inclusion(seq, size)
        inclusion.append(time.perf_counter() - began)
        assert merkle.inclusion_valid(proof.leaf_index, size, proof.leaf_hash, proof.path, proof.root_hash)
        old = chooser.randint(1, size)
        began = time.perf_counter()
        tree.consistency(old, size)
        consistency.append(time.perf_counter() - began)
    return {"inclusion_p50_ms": 1000 * percentile(inclusion, 0.5),
            "inclusion_p99_ms": 1000 * percentile(inclusion, 0.99),
            "consistency_p50_ms": 1000 * percentile(consistency, 0.5),
            "consistency_p99_ms": 1000 * percentile(consistency, 0.99)}


# ``verify_log()`` in a fresh process of the checkout it runs in (this one, or --compare-with's), timed
# from after Django's start: the CPU time of that process alone (PostgreSQL's is apart) and the wall time.
VERIFY_IN_A_PROCESS = """
import json, sys, time
import django
django.setup()
from audit.verify import verify_log
wall, cpu = time.perf_counter(), time.process_time()
result = verify_log()
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
print(json.dumps({"ok": result.ok, "error": result.error, "count": result.count, "wall": wall, "cpu": cpu,
                  "heads": result.tree_heads, "one_by_one": getattr(result, "walked_one_by_one", None)}))
"""


def verify_in(checkout: Path) -> dict:
    import subprocess

    done = subprocess.run([sys.executable, "-c", VERIFY_IN_A_PROCESS], cwd=checkout, env=dict(os.environ),
                          capture_output=True, text=True, timeout=900, check=False)
    if done.returncode:
        raise SystemExit(f"the verifier of {checkout} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def verify_rounds() -> None:
    """``--verify-rounds`` verifications, each in a fresh process; with ``--compare-with`` the other
    checkout's verifier alternates with this one's (A/B, B/A) over the same log."""
    connections.close_all()
    sides = {"this": ROOT}
    if ARGS.compare_with:
        sides["other"] = Path(ARGS.compare_with).resolve()
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    for round_number in range(ARGS.verify_rounds):
        order = list(sides) if round_number % 2 == 0 else list(reversed(sides))
        for name in order:
            figures = verify_in(sides[name])
            assert figures["ok"], figures["error"]
            cpu[name].append(figures["cpu"])
            count = figures["count"]
            print(f"verify round {round_number + 1} {name} ({sides[name]}): {count:,} events in "
                  f"{figures['wall']:.2f}s = {count / figures['wall']:,.0f} events/s; CPU "
                  f"{figures['cpu']:.2f}s in the verifier's process = {count / figures['cpu']:,.0f} "
                  f"events/s of CPU; {figures['heads']} signed tree heads checked; leaves walked one by "
                  f"one: {figures['one_by_one']}; load {os.getloadavg()[0]:.1f}")
    for name, times in cpu.items():
        best, median = min(times), sorted(times)[len(times) // 2]
        print(f"verify {name}: CPU best {best:.2f}s, median {median:.2f}s over {len(times)} round(s)")
    if "other" in cpu:
        ratios = [other / this for this, other in zip(cpu["this"], cpu["other"], strict=True)]
        print(f"verify CPU, other's over this one's, per round: {', '.join(f'{r:.2f}' for r in ratios)}")


def timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def report_means(totals: dict[str, list[dict]]) -> None:
    mean = {kind: sum(r["events_per_s"] for r in rows) / len(rows) for kind, rows in totals.items()}
    cpu = {kind: sum(r["cpu_ms_per_event"] for r in rows) / len(rows) for kind, rows in totals.items()}
    print(f"mean docintel/plain ratio: {mean['docintel'] / mean['plain']:.2f} "
          f"({mean['docintel']:.0f} vs {mean['plain']:.0f} events/s); by CPU per event (writers, sequencer "
          f"and their database backends): {cpu['plain'] / cpu['docintel']:.2f} "
          f"({cpu['docintel']:.3f} vs {cpu['plain']:.3f} ms)")


def appends_in_process(kind: str, count: int) -> None:
    append = logged_append if kind == "docintel" else plain_insert
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")
    for number in range(count):
        with transaction.atomic():
            append(sample_event(number))


def main() -> None:
    call_command("init_data_dir")
    call_command("migrate", verbosity=0)
    create_plain_table()
    if ARGS.appends_in_process:
        kind, count = ARGS.appends_in_process
        appends_in_process(kind, int(count))
        return
    print(f"# audit bench: PostgreSQL {connection.pg_version}, {ARGS.writers} writers x "
          f"{ARGS.seconds:.0f}s x {ARGS.rounds} rounds, A/B alternating, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}, plain table indexes: {ARGS.plain_indexes}")
    totals: dict[str, list[dict]] = {"docintel": [], "plain": []}
    for round_number in range(ARGS.rounds):
        order = ("docintel", "plain") if round_number % 2 == 0 else ("plain", "docintel")
        for kind in order:
            row = run_writers(kind)
            totals[kind].append(row)
            lag = "" if kind != "docintel" or ARGS.no_sequencer else (
                f"; integration lag p50 {row['lag_p50_ms']:.0f} ms p99 {row['lag_p99_ms']:.0f} ms max "
                f"{row['lag_max_ms']:.0f} ms ({row['integrated']} integrated)")
            print(f"round {round_number + 1} append {kind:>8}: {row['events_per_s']:7.0f} events/s "
                  f"({row['events']} events); append p50 {row['append_p50_ms']:.2f} ms p99 "
                  f"{row['append_p99_ms']:.2f} ms; transaction p50 {row['txn_p50_ms']:.2f} ms p99 "
                  f"{row['txn_p99_ms']:.2f} ms; CPU {row['cpu_ms_per_event']:.3f} ms per event "
                  f"(sequencer {row['sequencer_cpu_ms_per_event']:.3f}){lag}")
        ratio = totals["docintel"][-1]["events_per_s"] / totals["plain"][-1]["events_per_s"]
        cpu_ratio = totals["plain"][-1]["cpu_ms_per_event"] / totals["docintel"][-1]["cpu_ms_per_event"]
        print(f"round {round_number + 1} docintel/plain ratio: {ratio:.2f} events/s; "
              f"{cpu_ratio:.2f} by CPU per event (plain's over docintel's)")
    if ARGS.rounds:
        report_means(totals)
    if ARGS.events <= 0:  # appends only
        return
    fill_seconds = fill_log(ARGS.events)
    print(f"filled the log to {tree.size():,} events and their tree in {fill_seconds:.1f}s (COPY)")
    verify_rounds()
    if ARGS.no_export:
        return

    span = export.plan_export()
    out_dir = Path(tempfile.mkdtemp(prefix="audit-bench-export-"))
    path = out_dir / "log.jsonl"

    def write():
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(export.lines(span, "jsonl"))
        path.with_name(f"{path.name}.manifest.json").write_text(
            json.dumps(export.manifest(span, "jsonl", filename=path.name)))

    _, wall, _ = timed(write)
    size_mb = path.stat().st_size / 1e6
    print(f"export jsonl: {span.count} events in {wall:.2f}s = {span.count / wall:,.0f} events/s, "
          f"{size_mb / wall:.1f} MB/s ({size_mb:.0f} MB)")
    from audit.verify_export import verify

    summary, wall, _ = timed(lambda: verify(path))
    print(f"offline verify (jsonl): {summary['count']} events in {wall:.2f}s = "
          f"{summary['count'] / wall:,.0f} events/s")

    for size in sorted(int(value) for value in ARGS.proof_sizes.split(",") if value):
        if size > tree.size():
            grown = grow_tree_only(size)
            print(f"grew the tree to {size:,} leaves in {grown:.1f}s")
        figures = time_proofs(size)
        print(f"proofs at {size:,} leaves: inclusion p50 {figures['inclusion_p50_ms']:.2f} ms p99 "
              f"{figures['inclusion_p99_ms']:.2f} ms; consistency p50 {figures['consistency_p50_ms']:.2f} ms "
              f"p99 {figures['consistency_p99_ms']:.2f} ms")


if __name__ == "__main__":
    main()
