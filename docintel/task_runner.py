"""Sends tasks to Celery workers, or, on the embedded default (no REDIS_URL), runs the very same task
code in a background thread of this process. That thread runs at a lower scheduling priority
(``DOCINTEL_TASK_NICE``) than the request threads, and so does what it starts (the parse sandbox's
child processes, llama.cpp's threads): stages use the CPU that requests leave, never a request thread.

In a web server (``DOCINTEL_TASK_PROCESS``, set by deploy/gunicorn.conf.py) the embedded runner's
thread lives in a process of its own, one per web worker, started on first use: a stage's Python work
(redaction) then no longer holds the web worker's GIL while its request threads wait, which a thread's
lower priority could not prevent, and the process's priority applies to all of it.

Only ids travel through here: never document text (the broker is not a place for PHI).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

from django.conf import settings
from django.db import connections, transaction

log = logging.getLogger(__name__)

_executor: Executor | None = None
_pending: set[Future] = set()
_lock = threading.Lock()
_runs_here = threading.local()  # False inside queue_only(): this process will not be around to run them
_in_runner_process = False  # True in the runner process itself: it runs its follow-ups in its own thread


def _in_process_executor() -> Executor:
    global _executor
    with _lock:
        if _executor is None:
            if settings.TASK_PROCESS and not _in_runner_process:
                # A fresh interpreter (spawn: forking a threaded web worker could copy a held lock),
                # which sets Django up from the same environment and takes only task names and ids.
                spawn = multiprocessing.get_context("spawn")
                _executor = ProcessPoolExecutor(max_workers=1, mp_context=spawn,
                                                initializer=_start_runner_process)
            else:
                # One thread: SQLite has one writer, and the embedded model uses every core anyway.
                _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docintel-task",
                                               initializer=_lower_priority)
        return _executor


def _start_runner_process() -> None:
    global _in_runner_process
    _in_runner_process = True
    import django

    django.setup()
    _lower_priority()


def _run_by_name(module: str, name: str, args: tuple, task_id: str | None) -> None:
    """In the runner process: the task, then whatever it queued (the next stages), so that the web
    worker's future ends when the whole chain has, as ``wait_idle`` expects."""
    import importlib

    from docintel.celery import app

    importlib.import_module(module)  # registers its tasks with the app
    _run_in_process(app.tasks[name], args, task_id)
    wait_idle()


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
            future = _submit(task, args, task_id)
        except RuntimeError:  # the interpreter is shutting down: the next runner's sweep takes it
            log.warning("in-process task %s left queued: this process is exiting", task.name)
            return
        with _lock:
            _pending.add(future)
        future.add_done_callback(lambda f: _pending.discard(f))

    transaction.on_commit(send, robust=True)


def _submit(task, args: tuple, task_id: str | None) -> Future:
    global _executor
    executor = _in_process_executor()
    if isinstance(executor, ThreadPoolExecutor):
        return executor.submit(_run_in_process, task, args, task_id)
    try:
        return executor.submit(_run_by_name, task.__module__, task.name, args, task_id)
    except BrokenProcessPool:  # the runner process died (killed, out of memory): start another
        log.warning("the task runner process had ended; starting another")
        with _lock:
            _executor = None
        return _in_process_executor().submit(_run_by_name, task.__module__, task.name, args, task_id)


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
