"""Run one parse in a forked child with CPU, memory and wall-clock limits.

PDFs are attacker-controlled: a decompression bomb, a reference cycle or a crash in a C library must
cost one failed document, never the worker or the web server. The child is forked (cheap: pypdf is
already imported), limits itself with setrlimit, sends its result back as JSON over a pipe and leaves
with ``os._exit`` so that nothing inherited (Django's database connections, atexit hooks, Celery's
signal handlers) runs or closes anything on the parent's behalf.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from docintel.errors import ServiceUnavailable

from .base import ParseError

_MB = 1024 * 1024
_EXIT_OUT_OF_MEMORY = 3
_PR_SET_PDEATHSIG = 1
# Looked up here, once: symbol look-ups in a child forked from a threaded process can deadlock.
_prctl: Callable[..., int] | None
try:
    _prctl = ctypes.CDLL(None).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


@dataclass(frozen=True)
class Limits:
    timeout_s: float
    memory_mb: int
    cpu_s: float | None = None  # CPU seconds of all the child's threads together; default timeout_s


def run_isolated(function: Callable[..., dict], *args, limits: Limits) -> dict:
    """``function(*args)`` in a limited child; returns its JSON-able dict or raises ``ParseError``.

    ``function`` raises ``ParseError`` for a file it cannot read; the code and message come back as is.
    When no child can be started, ``ServiceUnavailable`` (the pipeline retries later).
    """
    try:
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            raise
    except OSError:  # out of processes, memory or descriptors on this host: passing, so retryable
        raise ServiceUnavailable("parser_unavailable", "the parser could not be started; try again") from None
    if pid == 0:
        os.close(read_fd)
        _child(function, args, limits, write_fd)  # never returns
    os.close(write_fd)
    payload = None
    try:
        payload = _read_until(read_fd, time.monotonic() + limits.timeout_s)
    finally:  # also when the caller is interrupted (a task's time limit): no child outlives the call
        os.close(read_fd)
        status = _reap(pid, finished=payload is not None)
    if payload is None:
        raise ParseError("parse_timeout", f"parsing took longer than {limits.timeout_s:g} s and was stopped")
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        result = json.loads(payload)  # the child's own encoding of a dict: ASCII JSON
        if "error" in result:
            raise ParseError(result["error"]["code"], result["error"]["message"])
        return result
    raise _error_for_exit(status, limits)


def _child(function, args, limits: Limits, write_fd: int) -> None:
    exit_code = 0
    try:
        _confine(limits, keep_fd=write_fd)
        try:
            result = function(*args)
        except ParseError as error:
            result = {"error": error.as_dict()}
        data = json.dumps(result).encode("ascii")
        with open(write_fd, "wb", closefd=False) as pipe:
            pipe.write(data)
    except MemoryError:
        exit_code = _EXIT_OUT_OF_MEMORY
    except BaseException:  # anything else: the parent reports parse_failed; no traceback (PHI, noise)
        exit_code = 1
    finally:
        os._exit(exit_code)


def _confine(limits: Limits, *, keep_fd: int) -> None:
    """Limits on this child only; the inherited address space is allowed on top of the budget."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_DFL)
    if _prctl is not None:  # die with the parent
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # library warnings and crashes print nothing into the parent's output
        os.dup2(devnull, fd)
    # Inherited descriptors go: database sockets stay the parent's alone, and another thread's parse
    # pipe must not stay open here (its reader would wait for this child's exit to see end-of-file).
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    cpu = max(1, int((limits.cpu_s or limits.timeout_s) + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # a parser has no business writing files
    budget = _address_space_in_use() + limits.memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))


def _address_space_in_use() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes, or None when the deadline passes first."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int, *, finished: bool) -> int:
    """Wait for the child; kill it first when it ran out of time. Returns its wait status."""
    if finished:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            time.sleep(0.005)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def _error_for_exit(status: int, limits: Limits) -> ParseError:
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        return ParseError("parse_timeout",
                          f"parsing used more than {limits.timeout_s:g} s of CPU and was stopped")
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == _EXIT_OUT_OF_MEMORY:
        return ParseError("parse_out_of_memory",
                          f"parsing needed more than {limits.memory_mb} MB of memory and was stopped")
    return ParseError("parse_failed", "the parser stopped unexpectedly on this file")
