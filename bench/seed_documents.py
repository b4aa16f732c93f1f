"""Fill docintel's database with N processed documents (and optionally audit events) fast, for the API
benchmarks: 10,000 in about a second, 1,000,000 in a few minutes.

    DOCINTEL_DATA_DIR=/tmp/bench .venv/bin/python bench/seed_documents.py --documents 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/seed_documents.py ...

Rows are written with bulk SQL (COPY on PostgreSQL, executemany on SQLite), not through
``upload_document``: the benchmark measures reads, and a million uploads would take hours. Each
document looks like a finished one (four stages done with timings, pages, size, a sha256), spread over
two years; the originals are not written (the read paths never open them). Audit events, when asked
for, are hashed like real ones and placed in the Merkle tree (``audit_verify`` passes), so that
the audit event list is measured on a real log. Prints the token of a ``service`` user (what
internal systems use), made with ``issue_token``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docintel.settings")

BATCH = 20_000
STAGES = ("parse", "classify", "redact", "extract")
KINDS = ("contract", "clinical_note")


def stages_json(rng: random.Random, created: datetime) -> str:
    stages, moment = {}, created
    for name in STAGES:
        seconds = round(rng.uniform(0.05, 30.0), 3)
        started, moment = moment, moment + timedelta(seconds=seconds)
        stages[name] = {
            "status": "done",
            "started": started.isoformat(),
            "finished": moment.isoformat(),
            "seconds": seconds,
            "attempts": 1,
        }
    return json.dumps(stages)


def document_rows(count: int, user_id: int, seed: int = 42):
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    step = timedelta(days=730) / max(count, 1)
    for index in range(count):
        created = start + step * index
        kind = KINDS[index % 2]
        name = f"{'contract' if kind == 'contract' else 'note'}-{index:07d}.pdf"
        yield (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            name,
            kind,
            "",
            hashlib.sha256(f"bench-{seed}-{index}".encode()).hexdigest(),
            rng.randint(20_000, 2_000_000),
            "application/pdf",
            rng.randint(1, 60),
            "done",
            stages_json(rng, created),
            "",
            "[]",
            "[]",
            "{}",
            user_id,
            created,
            created + timedelta(minutes=1),
            None,
        )


def sqlite_time(moment: datetime) -> str:
    """As Django stores an aware datetime in SQLite: naive UTC text."""
    return str(moment.astimezone(UTC).replace(tzinfo=None))


COLUMNS = (
    "id",
    "filename",
    "kind",
    "schema_name",
    "sha256",
    "size",
    "media_type",
    "pages",
    "status",
    "stages",
    "text",
    "page_offsets",
    "warnings",
    "layout",
    "uploaded_by_id",
    "created",
    "updated",
    "erased_at",
)


def insert_documents(count: int, user_id: int) -> None:
    from django.db import connection, transaction

    from docintel.documents.models import Document

    table = Document._meta.db_table
    rows = document_rows(count, user_id)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        with (
            transaction.atomic(),
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
        return
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(
                (uuid.UUID(row[0]).hex, *row[1:15], sqlite_time(row[15]), sqlite_time(row[16]), None)
            )
            if len(batch) == BATCH:
                with transaction.atomic():
                    cursor.executemany(sql, batch)
                batch = []
        if batch:
            with transaction.atomic():
                cursor.executemany(sql, batch)
        cursor.execute("ANALYZE")


def insert_events(count: int, actor_id: int, username: str) -> None:
    """``count`` ``document.viewed`` events, hashed as ``audit.append`` hashes them, then placed in the
    Merkle tree by the sequencer (so ``audit_verify`` passes and the audit list reads a real log)."""
    from django.db import connection, transaction

    from audit.entries import canonical_event_bytes
    from audit.models import AuditEvent, format_time
    from audit.sequencer import integrate_now
    from docintel.documents.models import Document

    document_ids = [str(pk) for pk in Document.objects.values_list("pk", flat=True)[:10_000]] or [None]
    table = AuditEvent._meta.db_table
    details = json.dumps({"via": "api", "what": "document"}, separators=(",", ":"), sort_keys=True)
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute("SELECT nextval('audit_event_seq') FROM generate_series(1, %s)", [count])
                numbers = [row[0] for row in cursor.fetchall()]
            else:
                cursor.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {table}")
                first = cursor.fetchone()[0] + 1
                numbers = list(range(first, first + count))
        now = datetime.now(UTC) - timedelta(seconds=count)
        rows = []
        for index, seq in enumerate(numbers):
            moment = now + timedelta(seconds=index)
            document_id = document_ids[index % len(document_ids)]
            stored_id = document_id if postgres or document_id is None else uuid.UUID(document_id).hex
            digest = hashlib.sha256(
                b"\x00"
                + canonical_event_bytes(
                    seq, format_time(moment), "document.viewed", actor_id, username, "service",
                    document_id, "document access", details, "", "",
                )
            ).hexdigest()
            rows.append(
                (
                    seq,
                    moment if postgres else sqlite_time(moment),
                    "document.viewed",
                    actor_id,
                    username,
                    "service",
                    stored_id,
                    "document access",
                    details,
                    "",
                    "",
                    digest,
                )
            )
        placeholders = ", ".join(["%s"] * 12)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (seq, time, action, actor_id, actor_username, actor_role, "
                f"document_id, purpose, details, sensitive, prev_hash, hash) "
                f"VALUES ({placeholders})",
                rows,
            )
    integrate_now(full=True)


def add_outputs(document_id: str) -> None:
    """A redaction and an extraction for one document (what a finished contract has), for the output
    endpoints: 20,000 characters of redacted text with 120 entity spans, the contract schema's fields."""
    from docintel.documents.models import Document
    from docintel.redaction.models import RedactionResult
    from extraction.models import Extraction
    from extraction.schemas import get_schema

    document = Document.objects.get(pk=document_id)
    text = ("This Agreement is made between [PERSON] of [ADDRESS] and Acme Health LLC on [DATE]. " * 240)[
        :20000
    ]
    entities = [
        {
            "type": "PERSON",
            "start": 31 + 84 * i,
            "end": 39 + 84 * i,
            "score": 0.85,
            "recognizer": "SpacyRecognizer",
        }
        for i in range(120)
    ]
    RedactionResult.objects.create(document=document, redacted_text=text, entities=entities)
    schema = get_schema("contract")
    data = {
        **schema.empty(),
        "document_name": "MASTER SERVICES AGREEMENT",
        "agreement_date": "2021-03-03",
        "parties": [
            {"name": "Acme Health LLC", "role": "Provider"},
            {"name": "Northwind Clinic", "role": "Customer"},
        ],
        "governing_law": "New York",
    }
    Extraction.objects.create(
        document=document,
        schema_name="contract",
        schema_version=str(schema.version),
        data=data,
        grounding={
            "/document_name": [{"start": 0, "end": 25}],
            "/agreement_date": [{"start": 60, "end": 73}],
        },
        ungrounded=[],
        confidence={"/document_name": 0.9, "/agreement_date": 0.85},
        valid=True,
        model="rules",
        route={"mode": "hybrid", "steps": []},
        text_sha256="0" * 64,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=0, help="audit events to add")
    parser.add_argument("--user", default="bench-service")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from io import StringIO

    out = StringIO()
    call_command("issue_token", args.user, "--role", "service", stdout=out)
    token = out.getvalue().strip()
    user = get_user_model().objects.get(username=args.user)
    started = time.monotonic()
    insert_documents(args.documents, user.pk)
    seeded = time.monotonic() - started
    if args.events:
        insert_events(args.events, user.pk, user.get_username())
    from docintel.documents.models import Document

    # The document the detail and output endpoints read: one in the middle of the table.
    middle = Document.objects.order_by("created").values_list("pk", flat=True)[args.documents // 2]
    add_outputs(str(middle))
    out = StringIO()
    call_command("issue_token", f"{args.user}-audit", "--role", "compliance", stdout=out)
    print(
        json.dumps(
            {
                "token": token,
                "audit_token": out.getvalue().strip(),
                "document": str(middle),
                "documents": args.documents,
                "events": args.events,
                "seconds": round(time.monotonic() - started, 1),
                "documents_seconds": round(seeded, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
