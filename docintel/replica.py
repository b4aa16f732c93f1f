"""Optional PostgreSQL read replica for the heavy reads: document lists and the audit log's pages.

With ``DOCINTEL_DATABASE_REPLICA_URL`` set, requests to the views named in ``REPLICA_VIEWS`` read
documents and audit events from the replica (``docintel.ops`` middleware marks those requests). Every
other read, every write, and any read inside a transaction goes to the primary: a replica lags, and
what a request changes (an audit event recording the read itself, an append that reads the chain head)
must see the primary.
"""

from __future__ import annotations

import contextlib
import contextvars

from django.conf import settings
from django.db import connections

_replica_reads = contextvars.ContextVar("docintel_replica_reads", default=False)
REPLICA = "replica"
# Apps whose rows list views and audit pages read in bulk.
REPLICA_APPS = {"documents", "audit", "extraction", "redaction"}


@contextlib.contextmanager
def reads_from_replica():
    """Within the block, reads of documents and audit events may go to the replica."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _replica_reads.get()
            and REPLICA in settings.DATABASES
            and model._meta.app_label in REPLICA_APPS
            and not connections["default"].in_atomic_block
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"
