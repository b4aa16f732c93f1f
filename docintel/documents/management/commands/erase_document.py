"""``manage.py erase_document ID --reason TEXT [--json]``: GDPR erasure of one document (see
``docintel.documents.erasure``). The audit log keeps a ``document.erased`` event and still verifies."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from docintel.documents.erasure import erase_document
from docintel.documents.models import Document
from docintel.errors import DocintelError


class Command(BaseCommand):
    help = "GDPR erasure of a document: original, text, outputs and data key; the audit log keeps the fact."

    def add_arguments(self, parser) -> None:
        parser.add_argument("id", help="the document's id")
        parser.add_argument("--reason", required=True,
                            help="the request's reference (kept in the audit log: no personal data)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        try:
            document = Document.objects.get(pk=options["id"])
        except (Document.DoesNotExist, ValidationError):
            raise CommandError(f"no document {options['id']}") from None
        try:
            document = erase_document(document, actor=None, reason=options["reason"])
        except DocintelError as error:
            raise CommandError(error.message) from None
        erased_at = document.erased_at.isoformat() if document.erased_at else None
        record = {"id": str(document.pk), "erased_at": erased_at}
        self.stdout.write(json.dumps(record) if options["json"] else
                          f"document {document.pk} erased at {record['erased_at']}")
