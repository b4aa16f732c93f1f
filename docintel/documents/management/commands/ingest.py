"""``manage.py ingest PATH... [--kind] [--wait] [--json]``: the same pipeline as an upload.

With workers (``REDIS_URL``) the documents go to the broker and the command returns; ``--wait`` then
waits for them. On the embedded default there is no worker but the server: without ``--wait`` the
documents are left queued in the database, for the server (or a worker) to finish when it starts, and
the command says so; with ``--wait`` this process runs them itself. Never is a document left half-run by
a command that exits.
"""

from __future__ import annotations

import time

from django.conf import settings

from docintel.cli import DocumentCommand, existing_paths
from docintel.documents.actions import upload_path
from docintel.documents.models import SETTLED_STATUSES, Document, DocumentKind, StageStatus
from docintel.errors import InputError
from docintel.task_runner import queue_only, wait_idle

LEFT_QUEUED = ("ingest: {count} document(s) queued. Nothing processes them in this command (no REDIS_URL: "
               "the docintel server is the worker here); they are processed when the server starts "
               "(bin/quickstart, runserver or gunicorn). Use --wait to process them here and wait.")


class Command(DocumentCommand):
    help = "Upload files into the pipeline (as the web upload does) and optionally wait for them."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--kind", choices=DocumentKind.values, default=DocumentKind.AUTO)
        parser.add_argument("--schema", default="", help="extraction schema (default: by kind)")
        parser.add_argument("--wait", action="store_true", help="wait until every document is done or failed")
        parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait at most")

    def handle(self, *args, **options) -> None:
        as_json = options["json"]
        documents: dict[str, Document] = {}

        def ingest(path) -> dict:
            if not path.is_file():
                raise InputError("not_found", "no such file")
            document, _created = upload_path(path, kind=options["kind"], schema_name=options["schema"],
                                             source="cli")
            documents[str(path)] = document
            return {"id": str(document.pk), "status": document.status}

        paths = existing_paths(options["paths"])
        if not options["wait"]:
            if not settings.TASKS_IN_PROCESS:
                self.finish(*self.run_each(paths, ingest, item_id=str, as_json=as_json))
                return
            with queue_only():
                ok, failed = self.run_each(paths, ingest, item_id=str, as_json=as_json)
            if ok:
                self.stderr.write(LEFT_QUEUED.format(count=ok))
            self.finish(ok, failed)
            return
        # Queue everything first, then report each document's final status.
        failed = 0
        errors = []
        for path in paths:
            try:
                ingest(path)
            except InputError as error:
                failed += 1
                errors.append({"id": str(path), "error": error.as_dict()})
        for record in errors:
            self.emit(record, as_json=as_json)
        deadline = time.monotonic() + options["timeout"]
        wait_idle(timeout=options["timeout"])
        ok = 0
        for document in documents.values():
            while True:
                document.refresh_from_db()
                if document.status in SETTLED_STATUSES or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            record = {"id": str(document.pk), "status": document.status, "filename": document.filename}
            failures = {n: s for n, s in document.stages.items() if s.get("status") == StageStatus.FAILED}
            if failures:
                record["failed_stages"] = {n: {"code": s.get("code"), "reason": s.get("reason")}
                                           for n, s in failures.items()}
            ok += document.status == StageStatus.DONE
            failed += document.status != StageStatus.DONE
            self.emit(record, as_json=as_json, summary=f"{document.pk} {document.status} {document.filename}")
        self.finish(ok, failed)
