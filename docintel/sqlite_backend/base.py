"""SQLite as the embedded default runs it: write transactions queue for the database's one write lock
on a lock that hands it on at once, instead of in SQLite's busy handler.

Every API read writes its audit event, so on SQLite every request is a short write transaction, and
SQLite lets one writer in at a time. A connection that finds the lock taken retries after sleeping 1,
2, 5, 10, 15, 20, 25 ... 100 ms (its busy handler): a transaction of a fraction of a millisecond made
the others sleep for tens, and a newcomer often slipped in before the sleepers woke. Measured on the
document detail: 2 gunicorn processes of 4 threads served 59 req/s at a p99 of 4.6 s while the CPUs
idled; with this lock, 200 req/s (docs/BENCHMARKS.md, "REST API read paths").

(Reads' events now commit in groups, one transaction for the reads of a process waiting at the same
moment: ``docintel.documents.access.GroupCommit``; this lock still orders those transactions and every
other write.)

Here a transaction (``atomic``; transactions are ``BEGIN IMMEDIATE``) first takes, in order:

- a lock of this process for the database file (threads of one process wait on it and the next one is
  woken as soon as it is released);
- an ``flock`` of ``<database>-writelock`` (one open file per connection), which serialises processes.
  Only the one thread of each process that holds the first lock asks for it, every 50 µs to 1 ms.

Both are released when the transaction commits or rolls back (or the connection closes), and a
connection that waits longer than the database's ``timeout`` gets SQLite's own error, "database is
locked". Writes outside a transaction (a single autocommitted statement) and other programs still meet
SQLite's busy handler, as before. In-memory databases are left alone.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

# How the one waiting thread of a process asks for the other processes' lock: after this long at first,
# doubling up to the second figure.
LOCK_POLL_FIRST_S = 0.00005
LOCK_POLL_MAX_S = 0.001

_process_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def _process_lock(name: str) -> threading.Lock:
    with _guard:
        return _process_locks.setdefault(name, threading.Lock())


def _forget_locks_after_fork() -> None:
    # A lock held by a thread of the parent would never be released in the child (that thread is gone).
    global _guard
    _guard = threading.Lock()
    _process_locks.clear()


os.register_at_fork(after_in_child=_forget_locks_after_fork)


class DatabaseWrapper(base.DatabaseWrapper):
    # The hooks overridden here are Django's own (BaseDatabaseWrapper); django-stubs leaves them out.
    _lock_fd: int | None = None
    _held: threading.Lock | None = None
    _lock_timeout_s: float = 5.0

    def get_new_connection(self, conn_params):
        self._lock_timeout_s = float(conn_params.get("timeout", 5.0))
        return super().get_new_connection(conn_params)

    def _start_transaction_under_autocommit(self):
        if self.is_in_memory_db():
            return super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._release_write_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _take_write_lock(self) -> None:
        if self._held is not None:
            return
        deadline = time.monotonic() + self._lock_timeout_s
        lock = _process_lock(str(self.settings_dict["NAME"]))
        if not lock.acquire(timeout=self._lock_timeout_s):
            raise OperationalError("database is locked")
        try:
            if self._lock_fd is None:
                path = f"{self.settings_dict['NAME']}-writelock"
                self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            pause = LOCK_POLL_FIRST_S
            while True:
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise OperationalError("database is locked") from None
                    time.sleep(pause)
                    pause = min(pause * 2, LOCK_POLL_MAX_S)
        except BaseException:
            lock.release()
            raise
        self._held = lock

    def _release_write_lock(self) -> None:
        lock, self._held = self._held, None
        if lock is None:
            return
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        lock.release()
