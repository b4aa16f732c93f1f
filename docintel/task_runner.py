"""Sends tasks to Celery workers, or, on the embedded default (no REDIS_URL), runs the very same task
code in a background thread of this process. That thread runs at a lower scheduling priority
(``DOCINTEL_TASK_NICE``) than the request threads, and so does what it starts (the parse sandbox's
child processes, llama.cpp's threads): stages use the CPU that requests leave, never a request thread.

Only ids travel through here: never document text (the broker is not a place for PHI).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from django.conf import settings
from django.db import connections, transaction

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_pending: set[Future] = set()
_lock = threading.Lock()
_runs_here = threading.local()  # False inside queue_only(): this process will not be around to run them


def _in_process_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            # One thread: SQLite has one writer, and the embedded model uses every core anyway.
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docintel-task",
                                           initializer=_lower_priority)
        return _executor


def _lower_priority() -> None:
    """Lower this thread's priority by ``TASK_NICE`` (on Linux, niceness is per thread and inherited by
    the threads and processes it starts)."""
    if not settings.TASK_NICE or not hasattr(os, "setpriority"):
        return
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread,
                       min(19, os.getpriority(os.PRIO_PROCESS, thread) + settings.TASK_NICE))
    except OSError:  # not allowed here: stages still run, at the web threads' priority
        log.warning("could not lower the task runner's priority")


def _run_in_process(task, args: tuple, task_id: str | None) -> None:
    try:
        task.apply(args=args, task_id=task_id, throw=False)
    except Exception:  # a task must never kill the runner thread
        log.exception("in-process task %s failed", task.name)
    finally:
        connections.close_all()


def dispatch(task, *args, task_id: str | None = None) -> None:
    """Queue ``task(*args)`` once the current transaction commits (so the worker sees its rows), as
    message ``task_id`` when given. A message that cannot be sent (the broker is down) is logged, not
    raised: the change is committed, and the pipeline's sweep for lost messages sends it again."""

    def send() -> None:
        if not settings.TASKS_IN_PROCESS:
            task.apply_async(args=args, task_id=task_id)
            return
        if not getattr(_runs_here, "value", True):
            return  # left queued in the database for the next server or worker (queue_only)
        try:
            future = _in_process_executor().submit(_run_in_process, task, args, task_id)
        except RuntimeError:  # the interpreter is shutting down: the next runner's sweep takes it
            log.warning("in-process task %s left queued: this process is exiting", task.name)
            return
        with _lock:
            _pending.add(future)
        future.add_done_callback(lambda f: _pending.discard(f))

    transaction.on_commit(send, robust=True)


@contextmanager
def queue_only() -> Iterator[None]:
    """On the embedded default, leave what is dispatched inside the block queued in the database
    instead of running it in this process: for commands that exit at once (``ingest`` without
    ``--wait``). The next server or worker to start picks it up."""
    _runs_here.value = False
    try:
        yield
    finally:
        _runs_here.value = True


def wait_idle(timeout: float | None = None) -> bool:
    """Block until every in-process task (and what it queued) has finished. True when idle."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with _lock:
            pending = list(_pending)
        if not pending:
            return True
        for future in pending:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                future.result(timeout=remaining)
            except TimeoutError:
                return False
            except Exception:  # noqa: S112 - failures are recorded on the document, not raised here
                continue
