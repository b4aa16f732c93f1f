"""Is this node able to do its work? One check per dependency, each bounded in time, run side by side.

``/readyz`` answers 200 only when every check passes, so that a load balancer stops sending requests to
a web node that cannot reach its database, broker, model servers or disk. Checks name what failed (a
host, an error type), never data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import connections

from docintel import broker


@dataclass
class Check:
    ok: bool
    detail: str
    ms: int = 0

    def as_dict(self) -> dict:
        return {"ok": self.ok, "detail": self.detail, "ms": self.ms}


def check_database() -> Check:
    names = ["default", *(["replica"] if "replica" in settings.DATABASES else [])]
    for alias in names:
        connection = connections[alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as error:
            connection.close()  # a broken connection must not be reused by the next check
            return Check(False, f"{alias}: {type(error).__name__}")
        finally:
            # The check runs in a thread of its own: its connection must not outlive it.
            connection.close()
    return Check(True, ", ".join(names))


def check_broker() -> Check:
    kind = broker.broker_kind()
    if kind == "in-process":
        return Check(True, "in-process task runner (no broker)")
    try:
        broker.check_connection(timeout=settings.READINESS_TIMEOUT_S)
    except Exception as error:
        return Check(False, f"{kind}: {type(error).__name__}")
    return Check(True, kind)


def model_server_urls() -> dict[str, list[str]]:
    """The model servers of each role; a role may list several replicas, comma-separated."""
    roles = {"first_line": settings.LLM_URL, "escalation": settings.ESCALATION_URL}
    return {role: [u.strip() for u in value.split(",") if u.strip()] for role, value in roles.items()
            if value}


def _answers(url: str) -> bool:
    headers = {"Authorization": f"Bearer {settings.LLM_API_KEY}"} if settings.LLM_API_KEY else {}
    try:
        response = httpx.get(f"{url.rstrip('/')}/models", headers=headers,
                             timeout=settings.READINESS_TIMEOUT_S)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def check_model_servers() -> Check:
    """Ready while every role has at least one replica answering; names the replicas that do not."""
    roles = model_server_urls()
    if not roles:
        return Check(True, "embedded model (in-process)")
    problems, notes = [], []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for role, urls in roles.items():
            answering = dict(zip(urls, pool.map(_answers, urls), strict=True))
            down = [urlsplit(u).netloc for u, ok in answering.items() if not ok]
            if len(down) == len(urls):
                problems.append(f"{role}: no server answers ({', '.join(down)})")
            elif down:
                notes.append(f"{role}: {len(urls) - len(down)} of {len(urls)} up, down: {', '.join(down)}")
            else:
                notes.append(f"{role}: {len(urls)} up")
    return Check(not problems, "; ".join(problems or notes))


def check_disk() -> Check:
    """The data dir takes writes and keeps at least DOCINTEL_MIN_FREE_DISK_MB free."""
    directory = Path(settings.DATA_DIR)
    try:
        free_mb = shutil.disk_usage(directory).free // (1024 * 1024)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".readyz-") as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        return Check(False, f"data dir not writable: {error.strerror or type(error).__name__}")
    if free_mb < settings.MIN_FREE_DISK_MB:
        return Check(False, f"{free_mb} MB free, below the {settings.MIN_FREE_DISK_MB} MB reserve")
    return Check(True, f"{free_mb} MB free")


CHECKS: dict[str, Callable[[], Check]] = {
    "database": check_database,
    "broker": check_broker,
    "model_servers": check_model_servers,
    "disk": check_disk,
}


def _timed(check: Callable[[], Check]) -> Check:
    started = time.monotonic()
    try:
        result = check()
    except Exception as error:  # a check that breaks is a failed check, not a 500
        result = Check(False, type(error).__name__)
    result.ms = round((time.monotonic() - started) * 1000)
    return result


def readiness() -> tuple[bool, dict[str, Check]]:
    """(ready, result of each check). Checks run in parallel; each is bounded by its own timeout."""
    with ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz") as pool:
        futures = {name: pool.submit(_timed, check) for name, check in CHECKS.items()}
        results = {name: future.result() for name, future in futures.items()}
    return all(r.ok for r in results.values()), results
