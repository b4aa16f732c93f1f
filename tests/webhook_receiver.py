"""A webhook receiver as an integrator runs one: a real HTTP server on the loopback address that keeps
what it receives and answers as told (status codes in order, optionally slowly)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    """A real HTTP server on the loopback address that keeps what it receives.

    ``answers`` are the status codes to give, in order (the last one repeats): e.g. [503, 204] fails
    the first attempt and accepts the second.
    """

    def __init__(self, answers=(204,), delay_s: float = 0.0) -> None:
        self.answers = list(answers)
        self.delay_s = delay_s
        self.received: list[dict] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.arrived:
                    answer = receiver.answers[min(len(receiver.received), len(receiver.answers) - 1)]
                    receiver.received.append({"path": self.path, "headers": dict(self.headers.items()),
                                              "body": body, "answer": answer})
                    receiver.arrived.notify_all()
                time.sleep(receiver.delay_s)
                if answer in (301, 302, 307, 308):
                    self.send_response(answer)
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a deliberately slow answer must not hold up the test's end
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/docintel-hook"

    def wait_for(self, count: int, timeout: float) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.received)} of {count} webhook requests arrived in {timeout}s"
                self.arrived.wait(left)
            return list(self.received)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
