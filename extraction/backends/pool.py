"""Replicas of one served model (``DOCINTEL_LLM_URL=http://a:8000/v1,http://b:8000/v1``): which one gets
the next request.

- **Least outstanding requests**: each request goes to the healthy replica with the fewest requests in
  flight from this process (ties: the one used least recently), so a slow replica gets less work.
- **Bounded per replica**: at most ``max_in_flight`` requests at once per replica (vLLM batches what it
  is sent; llama.cpp's server has ``--parallel N`` slots). When every replica is full, callers wait for
  a free slot (backpressure) instead of piling requests onto a saturated server.
- **Failover**: a replica that cannot be reached (connection refused or dropped) is marked down and
  skipped; it gets traffic again only after its health check (``GET <url>/models``, answered by vLLM
  and llama.cpp; any answer but 502/503/504 counts) passes, tried at most every ``health_interval_s``
  (at once when every replica is down, after the caller's backoff). A 5xx or 429 answer is retried
  on another replica without marking the first down: a server that answers is alive.

The bound is per process: N worker processes send at most N x ``max_in_flight`` to one replica; size
``DOCINTEL_LLM_MAX_IN_FLIGHT`` with the worker count (deploy/vllm/README.md).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from docintel.errors import ServiceUnavailable


def parse_urls(value: str) -> list[str]:
    """Comma-separated base URLs, in order, without blanks, trailing slashes or repeats."""
    urls: list[str] = []
    for part in value.split(","):
        url = part.strip().rstrip("/")
        if url and url not in urls:
            urls.append(url)
    return urls


@dataclass(eq=False)
class Replica:
    url: str
    in_flight: int = 0
    healthy: bool = True
    down_since: float = 0.0
    next_check: float = 0.0  # monotonic time at which a down replica's health may be checked again
    checking: bool = False
    last_used: int = 0
    sent: int = 0
    failures: int = 0
    problem: str = ""
    client: httpx.Client | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        """The host requests go to, without credentials, port or path (as audit events name it)."""
        return urlsplit(self.url).hostname or "unknown"

    @property
    def address(self) -> str:
        """``host:port``: tells apart replicas on one host (status, metrics)."""
        parts = urlsplit(self.url)
        return f"{self.host}:{parts.port}" if parts.port else self.host


class ReplicaPool:
    """Thread-safe choice of replica with a per-replica bound on requests in flight."""

    def __init__(
        self,
        urls: list[str],
        *,
        max_in_flight: int = 4,
        health_interval_s: float = 5.0,
        health_timeout_s: float = 2.0,
        headers: dict | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        if not urls:
            raise ValueError("a replica pool needs at least one URL")
        self.max_in_flight = max(1, max_in_flight)
        self.health_interval_s = health_interval_s
        self.health_timeout_s = health_timeout_s
        self.replicas = [Replica(url) for url in urls]
        # httpx clients are thread-safe; one per replica keeps its connections (keep-alive) apart.
        limits = httpx.Limits(
            max_connections=self.max_in_flight + 2, max_keepalive_connections=self.max_in_flight + 2
        )
        for replica in self.replicas:
            replica.client = httpx.Client(
                base_url=replica.url, timeout=timeout_s, headers=headers or {}, limits=limits
            )
        self._changed = threading.Condition()
        self._ticket = itertools.count(1)

    @property
    def capacity(self) -> int:
        return self.max_in_flight * len(self.replicas)

    def in_flight(self) -> int:
        with self._changed:
            return sum(replica.in_flight for replica in self.replicas)

    def status(self) -> list[dict]:
        """Per replica: its host, whether it is used, requests in flight and sent (for /readyz, metrics)."""
        with self._changed:
            return [
                {
                    "url_name": r.address,
                    "healthy": r.healthy,
                    "in_flight": r.in_flight,
                    "sent": r.sent,
                    "failures": r.failures,
                }
                for r in self.replicas
            ]

    @contextmanager
    def slot(self, *, wait_s: float, avoid: Replica | None = None) -> Iterator[Replica]:
        """A replica to send one request to, held until the block ends. Waits up to ``wait_s`` for a
        free slot when all healthy replicas are full; raises ``ServiceUnavailable`` when every replica
        is down (after checking the ones whose health check is due)."""
        replica = self._acquire(wait_s, avoid)
        try:
            yield replica
        finally:
            with self._changed:
                replica.in_flight -= 1
                self._changed.notify_all()

    def mark_failed(self, replica: Replica, problem: str) -> None:
        """The replica could not serve a request: skip it until its health check passes."""
        with self._changed:
            replica.failures += 1
            replica.problem = problem
            if replica.healthy:
                replica.healthy = False
                replica.down_since = time.monotonic()
            replica.next_check = time.monotonic() + self.health_interval_s
            self._changed.notify_all()

    def healthy_count(self) -> int:
        with self._changed:
            return sum(replica.healthy for replica in self.replicas)

    def close(self) -> None:
        for replica in self.replicas:
            if replica.client is not None:
                replica.client.close()

    # --- internals ----------------------------------------------------------------------------------
    def _acquire(self, wait_s: float, avoid: Replica | None) -> Replica:
        deadline = time.monotonic() + wait_s
        while True:
            self._check_due_replicas()
            if not self.healthy_count():
                # Every replica is down: the caller has backed off already, so check them all now.
                self._check_due_replicas(force=True)
            with self._changed:
                healthy = [r for r in self.replicas if r.healthy]
                if not healthy:
                    raise ServiceUnavailable("model_server_unavailable", self._all_down_message())
                # Another replica than the one that just failed, when there is one.
                candidates = [r for r in healthy if r is not avoid] or healthy
                free = [r for r in candidates if r.in_flight < self.max_in_flight]
                if free:
                    replica = min(free, key=lambda r: (r.in_flight, r.last_used))
                    replica.in_flight += 1
                    replica.sent += 1
                    replica.last_used = next(self._ticket)
                    return replica
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ServiceUnavailable(
                        "model_server_busy",
                        f"every language model server ({self._names(healthy)}) stayed "
                        f"at its limit of {self.max_in_flight} requests in flight for {wait_s:g}s",
                    )
                # Woken when a slot frees or a replica changes state; wake up anyway to run health checks.
                self._changed.wait(min(remaining, self.health_interval_s))

    def _check_due_replicas(self, *, force: bool = False) -> None:
        """Probe down replicas whose next check is due (one thread probes each; the others go on)."""
        now = time.monotonic()
        with self._changed:
            due = [
                r
                for r in self.replicas
                if not r.healthy and not r.checking and (force or r.next_check <= now)
            ]
            for replica in due:
                replica.checking = True
        for replica in due:
            ok = self._probe(replica)
            with self._changed:
                replica.checking = False
                if ok:
                    replica.healthy, replica.problem = True, ""
                else:
                    replica.next_check = time.monotonic() + self.health_interval_s
                self._changed.notify_all()

    def _probe(self, replica: Replica) -> bool:
        assert replica.client is not None
        try:
            status = replica.client.get("/models", timeout=self.health_timeout_s).status_code
        except httpx.HTTPError:
            return False

        # It answers: alive, unless it says it cannot serve (llama.cpp loading its model: 503; a proxy
        # whose server is gone: 502/504). A server without /models (404, 501) is alive too.
        return status not in (502, 503, 504)

    def _all_down_message(self) -> str:
        problems = {r.problem for r in self.replicas if r.problem}
        detail = f" ({'; '.join(sorted(problems))})" if problems else ""
        return f"no language model server could be reached: {self._names(self.replicas)} down{detail}"

    @staticmethod
    def _names(replicas: list[Replica]) -> str:
        return ", ".join(dict.fromkeys(r.host for r in replicas))
