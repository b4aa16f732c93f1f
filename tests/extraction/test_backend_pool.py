"""Several model-server replicas behind one backend: least-outstanding balancing, a bound on requests in
flight per server with backpressure, failover when a server dies, and its return once healthy.

The servers are real HTTP servers on loopback (a small scripted OpenAI-compatible server, and in the
drill llama.cpp's own server with the embedded model); nothing is mocked inside docintel.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from docintel.errors import ServiceUnavailable
from extraction.backends.openai_http import OpenAIBackend
from extraction.backends.pool import parse_urls
from extraction.chunking import Chunk
from extraction.extractor import extract
from extraction.inference import Audience, infer
from extraction.schemas import get_schema
from tests.extraction.conftest import SHORT_CONTRACT, free_port

# Requests run on several threads, each with its own database connection: every test commits.
pytestmark = pytest.mark.django_db(transaction=True)

CONTRACT = get_schema("contract")
ANSWER = json.dumps({**CONTRACT.empty(), "document_name": "MASTER SERVICES AGREEMENT"})


class SlowServer:
    """An OpenAI-compatible server that takes ``delay_s`` per answer and counts requests in flight."""

    def __init__(self, delay_s: float = 0.2) -> None:
        self.delay_s = delay_s
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.in_flight = 0
        self.most_in_flight = 0
        self.answered = 0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> SlowServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # the health check
                self._send(200, {"object": "list", "data": [{"id": "fake"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                time.sleep(fake.delay_s)
                with fake.lock:
                    fake.in_flight -= 1
                    fake.answered += 1
                self._send(
                    200,
                    {
                        "model": body.get("model"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": ANSWER},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 100, "completion_tokens": 20},
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def servers():
    started: list[SlowServer] = []

    def make(count: int, delay_s: float = 0.2) -> list[SlowServer]:
        started.extend(SlowServer(delay_s).start() for _ in range(count))
        return started[-count:]

    yield make
    for server in started:
        server.stop()


def backend_for(*servers, **options) -> OpenAIBackend:
    urls = ",".join(server if isinstance(server, str) else server.url for server in servers)
    settings = {
        "timeout_s": 30,
        "max_retries": 2,
        "backoff_s": 0.05,
        "max_in_flight": 2,
        "health_interval_s": 0.5,
        **options,
    }
    return OpenAIBackend(urls, "fake", max_prompt_chars=20000, **settings)


def ask(backend: OpenAIBackend):
    chunk = Chunk(0, 0, len(SHORT_CONTRACT), "head")
    return infer(backend, CONTRACT, SHORT_CONTRACT, chunk, parts=1, audience=Audience())


def test_replica_urls_are_a_comma_separated_list():
    assert parse_urls(" http://a:8000/v1/, http://b:8000/v1,,http://a:8000/v1") == [
        "http://a:8000/v1",
        "http://b:8000/v1",
    ]


def test_requests_are_spread_and_bounded_per_server(servers):
    first, second = servers(2)
    backend = backend_for(first, second, max_in_flight=2)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: ask(backend), range(12)))
    assert all(answer.valid for answer in answers)
    # Least outstanding requests: both replicas worked; never more than the bound at once on either.
    assert first.answered >= 4 and second.answered >= 4
    assert first.most_in_flight <= 2 and second.most_in_flight <= 2


def test_a_saturated_server_makes_callers_wait_not_fail(servers):
    (only,) = servers(1, delay_s=0.3)
    backend = backend_for(only, max_in_flight=1)
    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: ask(backend), range(3)))
    assert all(answer.valid for answer in answers)
    assert only.most_in_flight == 1
    assert time.monotonic() - started >= 0.85  # served one after another: backpressure, not overload


def test_a_saturated_server_past_the_wait_is_a_clear_busy_error(servers):
    (only,) = servers(1)
    backend = backend_for(only, max_in_flight=1, timeout_s=0.3, max_retries=0)
    # Another request holds the server's only slot for longer than a caller waits for one. Held here, not
    # by a slow request: that one's own 0.3 s timeout frees the slot just as the wait ends (a race).
    with backend.pool.slot(wait_s=0):
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as error:
            ask(backend)
        waited = time.monotonic() - started
    assert error.value.code == "model_server_busy" and "limit of 1 requests" in error.value.message
    assert waited >= 0.3 and only.answered == 0  # it waited for a slot, then gave up without sending
    assert ask(backend).valid  # the slot is free again: served


def test_a_dead_replica_is_skipped_and_used_again_once_healthy(servers):
    first, second = servers(2, delay_s=0.05)
    port = first.port
    first.stop()
    backend = backend_for(first, second, health_interval_s=0.3)
    assert all(ask(backend).valid for _ in range(4))
    assert second.answered == 4
    status = {r["url_name"]: r for r in backend.pool.status()}
    assert backend.pool.healthy_count() == 1 and sum(r["failures"] for r in status.values()) == 1

    revived = SlowServer(delay_s=0.05)
    revived.port, revived.url = port, first.url
    revived.start()
    try:
        time.sleep(0.4)  # its next health check is due
        with ThreadPoolExecutor(4) as pool:
            assert all(answer.valid for answer in pool.map(lambda _: ask(backend), range(8)))
        assert revived.answered >= 1 and backend.pool.healthy_count() == 2
    finally:
        revived.stop()


def test_every_replica_down_is_the_usual_retryable_error():
    backend = backend_for(
        f"http://127.0.0.1:{free_port()}/v1", f"http://127.0.0.1:{free_port()}/v1", max_retries=1
    )
    with pytest.raises(ServiceUnavailable) as error:
        ask(backend)
    assert error.value.code == "model_server_unavailable" and error.value.retryable
    assert "127.0.0.1" in error.value.message


def test_chunks_of_one_document_are_sent_concurrently(servers):
    (only,) = servers(1, delay_s=0.4)
    backend = backend_for(only, max_in_flight=4)
    backend.max_prompt_chars = 1200
    text = (SHORT_CONTRACT + "\n\n") * 4
    with pytest.MonkeyPatch.context() as patch:
        from django.conf import settings

        patch.setattr(settings, "EXTRACTION_MAX_CHUNKS", 4)
        result = extract(text, CONTRACT, mode="model", backend=backend)
    model_steps = [s for s in result.route["steps"] if s["source"].startswith("model")]
    assert len(model_steps) >= 3 and all(s["valid"] for s in model_steps)
    assert only.most_in_flight >= 3  # all chunks in flight together, answers recorded in order
    assert [s["source"] for s in model_steps] == sorted(s["source"] for s in model_steps)


# --- the drill: one of two llama.cpp servers dies in the middle of a batch ------------------------------
def start_llama(port: int, log_path) -> subprocess.Popen:
    from extraction.backends.embedded import model_path

    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--n_threads",
            "1",
            "--n_threads_batch",
            "1",
            "--model_alias",
            "smollm2",
        ],
        stdout=open(log_path, "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, "llama.cpp server exited"
        time.sleep(0.5)
    raise AssertionError("llama.cpp server did not start")


@pytest.mark.llm
def test_drill_a_model_server_killed_mid_batch(test_output_dir, settings):
    """Two llama.cpp servers; four contracts in flight; the server holding a request is SIGKILLed.
    Its request fails over to the other server and every contract is extracted."""
    settings.LLM_MAX_TOKENS = 96  # short answers keep the drill to a minute on two shared cores
    ports = [free_port(), free_port()]
    processes = [start_llama(port, test_output_dir / f"llama-drill-{port}.log") for port in ports]
    urls = [f"http://127.0.0.1:{port}/v1" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            wait_up(url, process)
        backend = OpenAIBackend(
            ",".join(urls),
            "smollm2",
            max_prompt_chars=1500,
            timeout_s=300,
            max_retries=2,
            backoff_s=0.5,
            max_in_flight=1,
            health_interval_s=60,
        )
        with ThreadPoolExecutor(4) as pool:
            futures = [
                pool.submit(extract, SHORT_CONTRACT, CONTRACT, mode="model", backend=backend)
                for _ in range(4)
            ]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and backend.pool.status()[0]["in_flight"] == 0:
                time.sleep(0.05)
            assert backend.pool.status()[0]["in_flight"] == 1
            os.killpg(processes[0].pid, signal.SIGKILL)  # mid-request
            results = [future.result(timeout=600) for future in futures]
        steps = [s for r in results for s in r.route["steps"] if s["source"].startswith("model")]
        # Every contract was answered: no chunk lost to the dead server.
        assert len(results) == 4 and len(steps) >= 4 and all(s.get("calls", 0) >= 1 for s in steps)
        first, second = backend.pool.status()
        assert not first["healthy"] and first["failures"] >= 1
        assert second["healthy"] and second["sent"] >= 4
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
