"""gunicorn settings for docintel's web tier: ``gunicorn -c deploy/gunicorn.conf.py docintel.wsgi``.

Measured with bench/api_vs_drf.py on the shared 2-core machine (docs/BENCHMARKS.md, "REST API read
paths"): threaded workers keep each client's connection open (keep-alive: no TCP handshake per request,
which sync workers pay), one process per core because Django is CPU-bound under the GIL, a few threads
per process to overlap database and disk waits (on SQLite every read waits for its audit event's
commit; the reads of a process waiting together share one commit, so more threads make larger
groups). 2 x 4 served as many requests per CPU-second as 2 x 1, 3 x 1, 4 x 2, 3 x 4 or 2 x 8, or
more, with the lowest list p99 (with grouped commits too: 2026-11-29 17:01, load 7-10); compare on
the target host with ``bench/api_vs_drf.py --docintel-args "-c deploy/gunicorn.conf.py
--threads 8"`` and the like. Every figure can be overridden from the environment.
"""

import multiprocessing
import os

from gunicorn.workers.gthread import ThreadWorker

bind = os.environ.get("DOCINTEL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("DOCINTEL_WEB_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("DOCINTEL_WEB_THREADS", "4"))
# Load the application once, before forking: workers share its memory and start faster. Database
# connections are opened per worker, on first use (docintel opens none at import).
preload_app = True


def when_ready(server) -> None:
    """Import every view in the master too (Django imports the URLconf on the first request): otherwise
    each worker imports them after the fork, and on two busy cores its first requests waited seconds for
    the import lock (p99 4.6 s in a 10 s run)."""
    if server.cfg.preload_app:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - the import is the point


# How long a thread may keep the GIL while another waits for it (Python's default: 5 ms). A thread that
# holds SQLite's write lock gives up the GIL in every statement and must get it back to go on; with
# other request threads busy, each such wait could last the whole interval while the other
# processes waited for the lock.
switch_interval_ms = float(os.environ.get("DOCINTEL_WEB_SWITCH_INTERVAL_MS", "5"))


def post_fork(server, worker) -> None:
    import sys

    sys.setswitchinterval(switch_interval_ms / 1000)
    if isinstance(worker, BalancedThreadWorker):
        worker.take_slot()


def child_exit(server, worker) -> None:
    """A worker that ended in any way (even killed) gives its slot back (run in the master)."""
    if isinstance(worker, BalancedThreadWorker):
        worker.free_slot()


# Idle keep-alive connections are kept this long; the bundled nginx reuses its upstream connections.
keepalive = int(os.environ.get("DOCINTEL_WEB_KEEPALIVE_S", "30"))
# A request may take as long as a 50 MB upload on a slow link; stages never run on request threads.
timeout = int(os.environ.get("DOCINTEL_WEB_TIMEOUT_S", "120"))
graceful_timeout = 30
# The most client connections one worker holds (gthread's ``worker_connections``), by default four per
# thread. With gunicorn's 1,000 a keep-alive client stays with the worker that accepted it, and
# whichever worker woke first accepted most: 32 wrk connections ended up 32 / 0 in half the runs and
# 20 / 12 to 31 / 1 in the others, one process (one core, under the GIL) serving most requests while
# the other idled, the "55 % busy" rounds
# (docs/BENCHMARKS.md, "REST API read paths", fifth round). With a cap, a worker stops accepting when
# full and the next clients go to the other one (16 / 16 at 2 x 4), and clients beyond every worker's
# cap wait in the kernel's listen queue, which the first worker with room takes from (``pre_request``
# below makes room when they wait). Measured in the same run, load 4-8: 1.66x the list's and 1.72x the
# detail's requests per second of the uncapped server, which had one worker at 72-80 % of a core and
# the other at 3-4 %. ``BalancedThreadWorker`` below also shares fewer clients than the caps evenly.
worker_connections = int(os.environ.get("DOCINTEL_WEB_WORKER_CONNECTIONS", str(4 * threads)))

# Connections held by each worker, in memory shared by the master and its workers (made before the
# fork): slot i holds a worker's pid and its count.
_SLOTS = 64
_slot_pids = multiprocessing.RawArray("i", _SLOTS)
_slot_held = multiprocessing.RawArray("i", _SLOTS)
_slot_lock = multiprocessing.Lock()
_slots_used = multiprocessing.RawValue("i", 0)  # slots above this were never taken: not read per turn


class BalancedThreadWorker(ThreadWorker):
    """gunicorn's threaded worker that accepts a connection only while it holds at most one more than
    the least busy other worker (so they differ by two at most), and never more than
    ``worker_connections``.

    The cap alone shares clients evenly only when they fill every worker: 8 upload clients still
    went 7 / 1 (and 20 clients can go 16 / 4), one core doing most of the work. Each worker publishes
    its count in shared memory once per turn of its event loop, where gunicorn asks
    ``worker_connections`` whether to go on accepting; a worker with more than the others stops
    listening, and the kernel hands the next client to one that listens. A worker that stopped looks
    again at the latest on its loop's one-second timeout. While another worker starts (a restart, a
    reload) it counts as holding none, so the others take two more each until it listens.
    """

    _slot = -1

    @property  # type: ignore[override]
    def worker_connections(self) -> int:
        cap = self._cap
        if self._slot < 0:
            return cap
        _slot_held[self._slot] = self.nr_conns
        others = [_slot_held[i] for i in range(_slots_used.value) if _slot_pids[i] and i != self._slot]
        return min(cap, min(others) + 2) if others else cap

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._cap = value

    def take_slot(self) -> None:
        """In the new worker: the first free slot (workers starting together take turns). Without one
        (a lock held too long, more than 64 workers) it accepts by its cap alone."""
        if not _slot_lock.acquire(timeout=1):
            return
        try:
            for i in range(_SLOTS):
                if not _slot_pids[i]:
                    _slot_pids[i], _slot_held[i], self._slot = os.getpid(), 0, i
                    _slots_used.value = max(_slots_used.value, i + 1)
                    return
        finally:
            _slot_lock.release()

    def free_slot(self) -> None:
        """In the master, once the worker is gone. No lock: a worker killed while holding it must not
        stop the master, and only the dead worker wrote this slot."""
        for i in range(_slots_used.value):
            if _slot_pids[i] == self.pid:
                _slot_held[i] = 0
                _slot_pids[i] = 0


worker_class = BalancedThreadWorker


def _clients_waiting(listeners) -> bool:
    """Whether a connection is waiting to be accepted (a listening socket is readable)."""
    import select

    try:
        readable, _, _ = select.select(listeners, [], [], 0)
    except (OSError, ValueError):  # a socket closed while the worker stops
        return False
    return bool(readable)


# A full worker makes room for a waiting client at most this often: the client whose connection it
# closes reconnects and waits in its turn, and without a pause every request of both workers that
# sees a client waiting closes one more connection. At 40 wrk connections (8 waiting) the detail's p99
# was 0.6-1.3 s with the hook either way and 2.2-3.3 s without it; unpaced, the server served 450-480
# requests per CPU-second against 510-600 paced (reconnects cost CPU).
make_room_interval_s = 0.02
_made_room_at = [0.0]  # per worker process (each has its copy after the fork)


def pre_request(worker, req) -> None:
    """A worker holding its full ``worker_connections`` while clients wait to connect answers this
    request with ``Connection: close``: its slot goes to a waiting client. Without it a client that
    found every worker full would wait until some keep-alive client stopped (for ever under steady
    load: gunicorn closes a kept-alive connection only after ``keepalive`` idle seconds, or when its
    idle ones reach the cap less the threads). Costs a ``select`` per request only when full."""
    import time

    worker.log.debug("%s %s", req.method, req.path)  # what gunicorn's own hook does
    held = getattr(worker, "nr_conns", 0)  # gthread's count; other worker classes hold one at a time
    if held < worker.cfg.worker_connections:
        return
    now = time.monotonic()
    if now - _made_room_at[0] >= make_room_interval_s and _clients_waiting(worker.sockets):
        _made_room_at[0] = now
        req.force_close()


control_socket_disable = True  # no admin socket in the data dir
accesslog = os.environ.get("DOCINTEL_ACCESS_LOG") or None  # off by default: paths can hold search terms
# When on: the path without its query string (%(U)s; gunicorn's default logs the request line, %(r)s,
# where a search term can be a patient's name), status, size, milliseconds.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
loglevel = os.environ.get("DOCINTEL_LOG_LEVEL", "info").lower()
