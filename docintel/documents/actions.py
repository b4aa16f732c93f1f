"""Every change to a document goes through one of these functions: the rows, the audit event (same
transaction) and the queued work (after commit) change together. Views, the API, commands and tasks
call these; none of them writes documents directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from audit.actions import record_event
from docintel.errors import InputError
from docintel.parsing import detect_media_type

from . import storage
from .models import Document, DocumentKind
from .pipeline import state
from .pipeline.base import stage_names
from .tasks import send


def upload_document(
    chunks: Iterable[bytes], *, filename: str, kind: str = DocumentKind.AUTO, schema_name: str = "",
    actor=None, source: str = "web",
) -> tuple[Document, bool]:
    """Store an original and queue its pipeline. Returns (document, created).

    The store is content-addressed (identical bytes are one file on disk), but a document belongs to
    its uploader: the same person uploading the same bytes again gets that document back (contract §5,
    ``created`` false); anyone else gets a new document of their own, answered exactly like a file
    nobody had, so an upload never reveals another person's document, nor that one exists.
    """
    if kind not in DocumentKind.values:
        raise InputError("bad_kind", f"kind must be one of {', '.join(DocumentKind.values)}")
    filename = Path(filename or "upload").name[:255]
    iterator = iter(chunks)
    head = b""
    for chunk in iterator:  # peek at the first bytes to tell the type, then stream the rest
        head += chunk
        if len(head) >= 8192:
            break
    if not head:
        raise InputError("empty_file", "the file is empty")
    media_type = detect_media_type(filename, head)

    def all_chunks():
        yield head
        yield from iterator

    sha, size, _ = storage.store_chunks(all_chunks(), max_bytes=settings.MAX_UPLOAD_BYTES)
    uploader = actor if getattr(actor, "pk", None) else None
    existing = _uploaded_before(sha, uploader)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            document = Document(
                filename=filename, kind=kind, schema_name=schema_name, sha256=sha, size=size,
                media_type=media_type, uploaded_by=uploader, stages=state.initial_stages(),
            )
            first = stage_names()[0]
            task_id = state.queue(document, first)
            document.save(force_insert=True)
            record_event(
                "document.uploaded", document=document, actor=actor, purpose="ingestion",
                details={"sha256": sha, "size": size, "media_type": media_type, "kind": kind,
                         "source": source},
            )
            send(str(document.pk), first, task_id)
    except IntegrityError:  # the same person sent the same file twice at once: the other upload won
        return Document.objects.get(sha256=sha, uploaded_by=uploader), False
    return document, True


def _uploaded_before(sha256: str, uploader) -> Document | None:
    """This uploader's document of these bytes (commands upload as nobody: one per content)."""
    return Document.objects.filter(sha256=sha256, uploaded_by=uploader).first()


def upload_path(path: Path, **kwargs) -> tuple[Document, bool]:
    with open(path, "rb") as handle:
        return upload_document(iter(lambda: handle.read(storage.CHUNK), b""), filename=path.name, **kwargs)


def retry_document(document: Document, *, actor=None) -> bool:
    """Re-queue a failed document from its first unfinished stage. False when nothing had failed."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        first = state.reset_for_retry(document)
        if first is None:
            return False
        document.save(update_fields=["stages", "status", "updated"])
        record_event("document.retried", document=document, actor=actor, purpose="processing",
                     details={"from_stage": first[0]})
        send(str(document.pk), *first)
    return True
