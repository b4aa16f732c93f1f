"""Private instances of the real services, for drills that kill, restart or cut them off.

Drills never touch the shared PostgreSQL, Redis or RabbitMQ: each starts its own on a free port in a
temporary directory and tears it down. ``Network`` builds hosts out of Linux network namespaces joined by
veth links to a bridge, so that a "host" can lose its network while its processes keep running.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("DOCINTEL_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the ``postgres`` account when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb + pg_ctl), listening on ``host``:``port``."""

    def __init__(self, base: Path, host: str = "127.0.0.1", listen: str | None = None) -> None:
        self.base = base
        self.data = base / "pgdata"
        self.socket_dir = base / "pgsock"
        self.host = host  # where clients connect
        self.listen = listen or host  # listen_addresses ("*": every interface, bridges made later too)
        self.port = free_port("0.0.0.0" if self.listen == "*" else host)  # noqa: S104 - a test instance
        self.log = base / "postgres.log"

    def url(self, database: str = "docintel") -> str:
        return f"postgres://postgres@{self.host}:{self.port}/{database}"

    def start(self) -> PrivatePostgres:
        if not self.data.exists():
            self.base.mkdir(parents=True, exist_ok=True)
            self.socket_dir.mkdir(exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.base, "postgres")
                shutil.chown(self.socket_dir, "postgres")
            subprocess.run(as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                                         "-A", "trust", "--no-sync"]),
                           check=True, capture_output=True)
            with open(self.data / "pg_hba.conf", "a") as hba:  # the drill's private subnets
                hba.write("host all all 10.0.0.0/8 trust\n")
        self._start()
        wait_until(self.accepting, 30, "private PostgreSQL to accept connections")
        return self

    def _start(self) -> None:
        self._pg_ctl("start", "-w", "-l", str(self.log), "-o",
                     f"-p {self.port} -k {self.socket_dir} -c listen_addresses='{self.listen}' -c fsync=off "
                     "-c max_connections=200")

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
                       check=True, capture_output=True, timeout=120)

    def accepting(self) -> bool:
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self, name: str, template: str | None = None) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            suffix = f" TEMPLATE {template}" if template else ""
            connection.execute(f'CREATE DATABASE "{name}"{suffix}')
        return self.url(name)

    def restart(self, mode: str = "fast") -> None:
        """Stop (``fast`` cuts every client off, ``immediate`` is a crash) and start again."""
        self._pg_ctl("stop", "-m", mode, "-w")
        self._start()

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._pg_ctl("stop", "-m", "immediate", "-w")


class PrivateRedis:
    """A redis-server with no persistence: a restart comes back empty, like a broker that lost its queue."""

    def __init__(self, base: Path, host: str = "127.0.0.1") -> None:
        self.base = base
        self.host = host
        self.port = free_port(host)
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def start(self) -> PrivateRedis:
        self.base.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", self.host, "--save", "",
             "--appendonly", "no", "--dir", str(self.base), "--protected-mode", "no"],
            stdout=open(self.base / "redis.log", "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
            start_new_session=True)
        wait_until(self.answering, 20, "private Redis to answer")
        return self

    def answering(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart_empty(self) -> None:
        self.kill()
        self.start()


class Process:
    """A docintel process (worker, beat, server, command) whose output goes to a log file."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, *, netns: str | None = None) -> None:
        prefix = ["ip", "netns", "exec", netns] if netns else []
        self.log_path = log
        self._log = open(log, "ab")  # noqa: SIM115 - written by the child until stop()
        self.process = subprocess.Popen([*prefix, *argv], cwd=ROOT, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_for_log(self, text: bytes, timeout: float = 90) -> Process:
        def seen() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.log_path.name}: exited early; see {self.log_path}")
            return text in self.log_path.read_bytes()

        wait_until(seen, timeout, f"{text!r} in {self.log_path.name}")
        return self

    def signal(self, sig: int) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def stop(self, timeout: float = 20) -> None:
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self._log.close()


def celery_worker(env: dict[str, str], log: Path, name: str, *, netns: str | None = None,
                  queues: str | None = None) -> Process:
    argv = [sys.executable, "-m", "celery", "-A", "docintel", "worker", "--pool=solo", "--concurrency=1",
            "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", name]
    if queues:
        argv += ["-Q", queues]
    return Process(argv, env, log, netns=netns).wait_for_log(b"ready.")


def web_server(env: dict[str, str], log: Path, bind: str, *, netns: str | None = None) -> Process:
    """gunicorn serving docintel, as the README runs it."""
    argv = [sys.executable, "-m", "gunicorn", "docintel.wsgi:application", "--bind", bind, "--workers", "1",
            "--worker-class", "gthread", "--threads", "4"]
    return Process(argv, env, log, netns=netns)


def celery_beat(env: dict[str, str], log: Path, schedule: Path, *, netns: str | None = None) -> Process:
    argv = [sys.executable, "-m", "celery", "-A", "docintel", "beat", "--loglevel=INFO",
            f"--schedule={schedule}"]
    return Process(argv, env, log, netns=netns).wait_for_log(b"beat: Starting")


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


# --- Hosts out of network namespaces ----------------------------------------------------------------
def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


class Network:
    """A bridge in the root namespace (the "service network") and hosts attached to it by veth links.

    Names carry a short random tag so that two runs never collide; ``teardown`` removes everything
    this object made, and is safe to call twice.
    """

    def __init__(self) -> None:
        self.tag = f"{random.randrange(16**4):04x}"
        self.subnet = f"10.{random.randrange(200, 250)}.{random.randrange(1, 250)}"
        self.bridge = f"dib{self.tag}"
        self.gateway = f"{self.subnet}.1"
        self.hosts: dict[str, str] = {}  # namespace -> address
        self.links: dict[str, str] = {}  # namespace -> root-side veth

    def up(self) -> Network:
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        return self

    def add_host(self, role: str) -> str:
        """A namespace with one veth into the bridge; returns the namespace's name."""
        index = len(self.hosts) + 10
        namespace = f"di{self.tag}-{role}"
        outside, inside = f"dv{self.tag}{index}o", f"dv{self.tag}{index}i"
        _ip("netns", "add", namespace)
        self.hosts[namespace] = f"{self.subnet}.{index}"
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        self.links[namespace] = outside
        _ip("link", "set", inside, "netns", namespace)
        _ip("link", "set", outside, "master", self.bridge)
        _ip("link", "set", outside, "up")
        _ip("netns", "exec", namespace, "ip", "addr", "add", f"{self.hosts[namespace]}/24", "dev", inside)
        _ip("netns", "exec", namespace, "ip", "link", "set", inside, "up")
        _ip("netns", "exec", namespace, "ip", "link", "set", "lo", "up")
        return namespace

    def cut(self, namespace: str) -> None:
        """The host's cable is pulled: its processes run on, but nothing reaches it or leaves it."""
        _ip("link", "set", self.links[namespace], "down")

    def reconnect(self, namespace: str) -> None:
        _ip("link", "set", self.links[namespace], "up")

    def kill_processes(self, namespace: str) -> None:
        pids = _ip("netns", "pids", namespace, check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)

    def teardown(self) -> None:
        for namespace, link in list(self.links.items()):
            self.kill_processes(namespace)
            _ip("link", "del", link, check=False)
            _ip("netns", "del", namespace, check=False)
        self.links.clear()
        self.hosts.clear()
        _ip("link", "del", self.bridge, check=False)


def can_build_networks() -> bool:
    """Root with the ``ip`` tool (CI and the developers' machines run as root)."""
    return os.geteuid() == 0 and shutil.which("ip") is not None


# --- What a drill checks, read straight from its database --------------------------------------------
def document_rows(database_url: str) -> list[tuple[str, str, dict]]:
    """(id, overall status, stages) of every document."""
    with psycopg.connect(database_url, connect_timeout=5) as connection:
        return connection.execute("SELECT id::text, status, stages FROM documents_document").fetchall()


def all_settled(database_url: str) -> bool:
    try:
        rows = document_rows(database_url)
    except psycopg.OperationalError:  # the database is restarting: not settled yet
        return False
    return bool(rows) and all(status in ("done", "failed") for _, status, _ in rows)


def stage_completions(database_url: str) -> dict[tuple[str, str], int]:
    """How many times each (document, stage) was recorded finished (done or skipped) in the audit log."""
    with psycopg.connect(database_url, connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT document_id::text, details FROM audit_auditevent "
            "WHERE action IN ('stage.completed', 'stage.skipped')").fetchall()
    counts: dict[tuple[str, str], int] = {}
    for document_id, details in rows:
        key = (document_id, json.loads(details)["stage"])
        counts[key] = counts.get(key, 0) + 1
    return counts


def finished_exactly_once(database_url: str) -> list[str]:
    """Every (document/stage) that is not done, or not recorded finished exactly once: [] is a pass."""
    counts = stage_completions(database_url)
    problems = []
    for document_id, status, stages in document_rows(database_url):
        if status != "done":
            problems.append(f"{document_id}: {status} {json.dumps(stages)[:400]}")
        problems += [f"{document_id}/{name}: finished {counts.get((document_id, name), 0)} times"
                     for name in stages if counts.get((document_id, name), 0) != 1]
    return problems
