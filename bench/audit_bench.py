"""Audit log costs on PostgreSQL: chained appends against plain inserts, verification, export.

    .venv/bin/python bench/audit_bench.py [--database postgres://postgres@127.0.0.1:5432/audit_bench]
        [--writers 4] [--seconds 10] [--events 1000000]

The database named by ``--database`` is dropped and made again: give it one of its own.

1. Appends: ``--writers`` processes, each committing one event per transaction through
   ``record_event`` for ``--seconds``; then the same processes inserting the same rows into an
   equivalent table without the chain (same columns and indexes; no lock, no head read, no hash).
   Prints events/s, and p50/p99 latency of the append inside the transaction and of the whole
   transaction (with its commit), and the chained/plain ratio.
2. Verification: the log is filled to ``--events`` (chained rows written with COPY, with signed
   checkpoints every AUDIT_CHECKPOINT_EVERY), then ``verify_chain()`` walks all of it in this one
   process (one core; the database server runs beside it). Prints events/s and CPU seconds.
3. Export: the whole log to JSONL and CSV (events/s, MB/s), and the stand-alone verifier over the
   JSONL (events/s).
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
    parser.add_argument("--events", type=int, default=1_000_000)
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


recreate_database(ARGS.database)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from audit import chain, export, keys  # noqa: E402
from audit.actions import canonical_details, record_event  # noqa: E402
from audit.canonical import checkpoint_message  # noqa: E402
from audit.models import format_time  # noqa: E402

PLAIN_TABLE = "bench_plain_event"
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
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {PLAIN_TABLE} (LIKE audit_auditevent INCLUDING DEFAULTS)")
        cursor.execute(f"CREATE SEQUENCE {PLAIN_TABLE}_seq OWNED BY {PLAIN_TABLE}.seq")
        cursor.execute(f"ALTER TABLE {PLAIN_TABLE} ALTER seq SET DEFAULT nextval('{PLAIN_TABLE}_seq'), "
                       f"ADD PRIMARY KEY (seq)")
        for columns in ("time", "action", "actor_id", "document_id", "document_id, seq", "action, seq"):
            cursor.execute(f"CREATE INDEX ON {PLAIN_TABLE} ({columns})")


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


def chained_append(event: dict) -> None:
    record_event(event["action"], document=event["document"], purpose=event["purpose"],
                 details=event["details"], sensitive=event["sensitive"])


def writer(kind: str, synchronous_commit: str, index: int, seconds: float, start_at: float, results) -> None:
    connections.close_all()  # a fresh connection per process
    with connection.cursor() as cursor:
        cursor.execute(f"SET synchronous_commit = {synchronous_commit}")
    append = chained_append if kind == "chained" else plain_insert
    inside, whole, number = [], [], index * 10_000_000
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        with transaction.atomic():
            before = time.perf_counter()
            append(sample_event(number))
            inside.append(time.perf_counter() - before)
        whole.append(time.perf_counter() - began)
        number += 1
    results.put((inside, whole))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_writers(kind: str, synchronous_commit: str) -> dict:
    connections.close_all()
    results = multiprocessing.get_context("fork").Queue()
    start_at = time.time() + 1.0
    processes = [multiprocessing.get_context("fork").Process(
        target=writer, args=(kind, synchronous_commit, index, ARGS.seconds, start_at, results))
        for index in range(ARGS.writers)]
    for process in processes:
        process.start()
    inside, whole = [], []
    for _ in processes:
        got_inside, got_whole = results.get()
        inside += got_inside
        whole += got_whole
    for process in processes:
        process.join()
    return {"kind": kind, "synchronous_commit": synchronous_commit, "events": len(whole),
            "events_per_s": len(whole) / ARGS.seconds,
            "append_p50_ms": 1000 * percentile(inside, 0.50),
            "append_p99_ms": 1000 * percentile(inside, 0.99),
            "txn_p50_ms": 1000 * percentile(whole, 0.50), "txn_p99_ms": 1000 * percentile(whole, 0.99)}


def fill_chain(total: int) -> float:
    """Append chained rows with COPY until the log holds ``total`` events (and interval checkpoints)."""
    import hashlib

    from django.utils import timezone

    started = time.perf_counter()
    seq, prev = chain.head()
    every = settings.AUDIT_CHECKPOINT_EVERY
    now = timezone.now()
    stamp = format_time(now)
    checkpoints = []
    raw = connection.connection
    with transaction.atomic():
        chain.lock_for_append()
        with raw.cursor() as cursor, cursor.copy(
                "COPY audit_auditevent (seq, time, action, actor_id, actor_username, actor_role, "
                "document_id, purpose, details, sensitive, prev_hash, hash) FROM STDIN") as copy:
            while seq < total:
                seq += 1
                event = sample_event(seq)
                details = canonical_details(event["details"])
                sensitive = "" if event["sensitive"] is None else base64.b64encode(os.urandom(120)).decode()
                digest = hashlib.sha256(chain.canonical_event_bytes(
                    seq, stamp, event["action"], None, "", "", event["document"], event["purpose"], details,
                    sensitive, prev)).hexdigest()
                copy.write_row((seq, now, event["action"], None, "", "", event["document"], event["purpose"],
                                details, sensitive, prev, digest))
                prev = digest
                if seq % every == 0:
                    checkpoints.append((seq, digest))
        for size, digest in checkpoints:
            signed_at = format_time(timezone.now())
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO audit_auditcheckpoint (size, head_hash, time, key_id, signature, reason) "
                    "VALUES (%s, %s, %s, %s, %s, 'interval')",
                    [size, digest, signed_at, keys.signing_key_id(),
                     keys.sign(checkpoint_message(size, digest, signed_at))])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_auditevent")
    return time.perf_counter() - started


def timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    call_command("init_data_dir")
    call_command("migrate", verbosity=0)
    create_plain_table()
    print(f"# audit bench: PostgreSQL {connection.pg_version}, {ARGS.writers} writers x {ARGS.seconds:.0f}s, "
          f"{os.cpu_count()} CPUs")
    # "on" is the production setting. "off" shows the chain's own cost once the commit's disk flush no
    # longer sits inside the lock (a crash may then lose the last moments of work, change and event alike).
    for synchronous_commit in ("on", "off"):
        chained, plain = run_writers("chained", synchronous_commit), run_writers("plain", synchronous_commit)
        for row in (chained, plain):
            print(f"append {row['kind']:>7} (synchronous_commit={synchronous_commit}): "
                  f"{row['events_per_s']:7.0f} events/s ({row['events']} events); append p50 "
                  f"{row['append_p50_ms']:.2f} ms p99 {row['append_p99_ms']:.2f} ms; transaction p50 "
                  f"{row['txn_p50_ms']:.2f} ms p99 {row['txn_p99_ms']:.2f} ms")
        print(f"append chained/plain ratio (synchronous_commit={synchronous_commit}): "
              f"{chained['events_per_s'] / plain['events_per_s']:.2f}")

    fill_seconds = fill_chain(ARGS.events)
    print(f"filled the log to {ARGS.events} events in {fill_seconds:.1f}s (COPY)")
    result, wall, cpu = timed(chain.verify_chain)
    assert result.ok, result.error
    print(f"verify: {result.count} events in {wall:.2f}s = {result.count / wall:,.0f} events/s "
          f"(CPU {cpu:.2f}s in this process = {result.count / cpu:,.0f} events/s of CPU; "
          f"{result.checkpoints} checkpoints)")

    span = export.plan_export()
    out_dir = Path(tempfile.mkdtemp(prefix="audit-bench-export-"))
    for export_format in export.FORMATS:
        path = out_dir / f"log.{export_format}"

        def write(path=path, export_format=export_format):
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(export.lines(span, export_format))
            path.with_name(f"{path.name}.manifest.json").write_text(
                json.dumps(export.manifest(span, export_format, filename=path.name)))

        _, wall, _ = timed(write)
        size_mb = path.stat().st_size / 1e6
        print(f"export {export_format:>5}: {span.count} events in {wall:.2f}s = {span.count / wall:,.0f} "
              f"events/s, {size_mb / wall:.1f} MB/s ({size_mb:.0f} MB)")
    from audit.verify_export import verify

    summary, wall, _ = timed(lambda: verify(out_dir / "log.jsonl"))
    print(f"offline verify (jsonl): {summary['count']} events in {wall:.2f}s = "
          f"{summary['count'] / wall:,.0f} events/s")


if __name__ == "__main__":
    main()
