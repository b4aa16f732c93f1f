"""Real peers for the extraction tests: llama.cpp's own OpenAI-compatible server, a small faithful fake
of vLLM's structured-output behaviour (the edge cases a real server produces only by accident), and
a short contract text."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES

SHORT_CONTRACT = (FIXTURES / "extraction" / "short_contract.txt").read_text()
CLINICAL_NOTE = (FIXTURES / "extraction" / "clinical_note.txt").read_text()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeVLLM:
    """An OpenAI-compatible /v1/chat/completions endpoint that answers from a script.

    Each scripted reply is ``(status, content, finish_reason)``; when the script runs out, the last
    reply repeats. Like recent vLLM, it ignores request fields it does not know (``guided_json``),
    so an answer that breaks the schema is exactly what a client asking the old way gets.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.script: list[tuple[int, str | None, str]] = [(200, "{}", "stop")]
        self.requests: list[dict] = []
        self.server: ThreadingHTTPServer | None = None

    def reply(self, *replies: tuple[int, str | None, str]) -> FakeVLLM:
        self.script = list(replies)
        return self

    def start(self) -> FakeVLLM:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                status, content, finish = fake.script.pop(0) if len(fake.script) > 1 else fake.script[0]
                payload = {"error": {"message": "internal error"}} if status >= 400 else {
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                 "finish_reason": finish}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": len(content or "") // 4,
                              "total_tokens": 100 + len(content or "") // 4},
                }
                # An error reply's content, when scripted, is its body (a server's own error format).
                data = (content if status >= 400 and content else json.dumps(payload)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def fake_vllm():
    fake = FakeVLLM().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def llama_server(test_output_dir):
    """llama.cpp's OpenAI-compatible server (llama-cpp-python[server]) with the embedded GGUF."""
    from extraction.backends.embedded import model_path

    port = free_port()
    log = open(test_output_dir / "llama-server.log", "ab")  # noqa: SIM115 (open for the whole session)
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", "1", "--n_threads_batch", "1",
         "--model_alias", "smollm2"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited; see {Path(log.name)}")
        time.sleep(0.5)
    else:
        process.kill()
        raise RuntimeError("llama.cpp server did not start")
    yield url
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:  # still generating an answer nobody waits for
        process.kill()
        process.wait(timeout=30)
    log.close()
