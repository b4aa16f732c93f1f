"""OpenAI-compatible HTTP backend (vLLM in production; llama.cpp's server in tests).

``DOCINTEL_LLM_URL`` may name several replicas of one model, comma-separated: each request goes to the
replica with the fewest requests in flight, at most ``DOCINTEL_LLM_MAX_IN_FLIGHT`` per replica, and a
replica that cannot be reached is skipped until its health check passes (``pool.ReplicaPool``).
Requests may be sent concurrently from many threads; ``prefetched`` sends a document's chunks at once.

Structured output is requested with ``response_format: {"type": "json_schema"}``, which current vLLM
honours; a server that refuses that form (llama.cpp's Python server knows only ``json_object`` with a
``schema``) is asked again in its own form, once, and that form is kept. The answer is validated by the
caller anyway, because servers differ (and vLLM silently ignores the removed ``guided_json`` field).

Connection failures, timeouts, 5xx and 429 are retried (on another replica at once when there is one,
else with exponential backoff); when every replica stays down the error is a ``ServiceUnavailable``
naming the hosts, so the pipeline stage fails with that reason and succeeds when retried later.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import httpx
from django.conf import settings

from docintel.errors import DocintelError, ServiceUnavailable

from . import Backend, Completion, PromptTooLong
from .pool import Replica, ReplicaPool, parse_urls

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
# vLLM: "This model's maximum context length is 16384 tokens"; llama.cpp: code context_length_exceeded.
CONTEXT_TOO_LONG = re.compile(
    r"maximum context length|context_length_exceeded|exceeds? (?:the )?context", re.IGNORECASE
)
FORMAT_REFUSED_STATUS = {400, 422, 500}


class ModelRequestRejected(DocintelError):
    """The server understood the request and refused it (bad model name, unsupported option)."""

    default_code = "model_request_rejected"


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(
        self,
        url: str,
        model: str,
        *,
        max_prompt_chars: int,
        timeout_s: float | None = None,
        max_retries: int | None = None,
        backoff_s: float | None = None,
        max_in_flight: int | None = None,
        health_interval_s: float | None = None,
    ) -> None:
        urls = parse_urls(url)
        self.url = ",".join(urls)
        self.model = model or "default"
        self.max_prompt_chars = max_prompt_chars
        self.timeout_s = settings.LLM_TIMEOUT_S if timeout_s is None else timeout_s
        self.max_retries = settings.LLM_MAX_RETRIES if max_retries is None else max_retries
        self.backoff_s = settings.LLM_RETRY_BACKOFF_S if backoff_s is None else backoff_s
        self.max_tokens = settings.LLM_MAX_TOKENS
        self.format_style = "json_schema"  # becomes "json_object" for servers that refuse json_schema
        headers = {"Authorization": f"Bearer {settings.LLM_API_KEY}"} if settings.LLM_API_KEY else {}
        self.pool = ReplicaPool(
            urls,
            headers=headers,
            timeout_s=self.timeout_s,
            max_in_flight=settings.LLM_MAX_IN_FLIGHT if max_in_flight is None else max_in_flight,
            health_interval_s=settings.LLM_HEALTH_INTERVAL_S
            if health_interval_s is None
            else health_interval_s,
        )
        self.url_name = ",".join(dict.fromkeys(replica.host for replica in self.pool.replicas))
        # Threads that wait on the servers for prefetched chunks; the pool bounds what is in flight.
        self._senders = ThreadPoolExecutor(max_workers=self.pool.capacity, thread_name_prefix="docintel-llm")
        self._prefetched = threading.local()

    # --- concurrency ---------------------------------------------------------------------------------
    def submit(self, messages: list[dict], schema: dict, *, max_tokens: int) -> Future[Completion]:
        """Send a request from a background thread; the future holds its Completion (or its error)."""
        return self._senders.submit(self._complete_now, messages, schema, max_tokens)

    @contextmanager
    def prefetched(self, requests: list[list[dict]], schema: dict, *, max_tokens: int) -> Iterator[None]:
        """Send ``requests`` (lists of messages) now, all at once (bounded per server); within the block,
        ``complete`` with the same messages on this thread takes the answer that is already on its way.
        What the block did not use is cancelled or dropped when it ends."""
        ready = {
            _request_key(messages, max_tokens): self.submit(messages, schema, max_tokens=max_tokens)
            for messages in requests
        }
        outer = getattr(self._prefetched, "ready", None)
        self._prefetched.ready = ready
        try:
            yield
        finally:
            self._prefetched.ready = outer
            for future in ready.values():
                future.cancel()

    def complete(self, messages: list[dict], schema: dict, *, max_tokens: int) -> Completion:
        ready = getattr(self._prefetched, "ready", None)
        future = ready.pop(_request_key(messages, max_tokens), None) if ready else None
        if future is not None:
            return future.result()
        return self._complete_now(messages, schema, max_tokens)

    # --- one request ---------------------------------------------------------------------------------
    def _complete_now(self, messages: list[dict], schema: dict, max_tokens: int) -> Completion:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_tokens,
        }
        started = time.monotonic()
        response, replica = self._post({**body, "response_format": self._response_format(schema)})
        if response is None:  # the server does not know this form of structured output: its own form
            self.format_style = "json_object"
            response, replica = self._post({**body, "response_format": self._response_format(schema)})
        latency_ms = round((time.monotonic() - started) * 1000)
        if response is None:  # neither form of structured output was understood
            raise ServiceUnavailable(
                "model_bad_response",
                f"the language model server at {replica.host} accepts no structured-output request",
            )
        try:
            payload = response.json()
            choice = payload["choices"][0]
            usage = payload.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError):
            raise ServiceUnavailable(
                "model_bad_response",
                f"the language model server at {replica.host} sent an unreadable response",
            ) from None
        return Completion(
            text=(choice.get("message") or {}).get("content") or "",
            finish_reason=choice.get("finish_reason") or "",
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            latency_ms=latency_ms,
            model_version=str(payload.get("model") or self.model),
            url_name=replica.host,
        )

    def _response_format(self, schema: dict) -> dict:
        if self.format_style == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {
                    "name": str(schema.get("title") or "extraction"),
                    "schema": schema,
                    "strict": True,
                },
            }
        return {"type": "json_object", "schema": schema}

    def _post(self, body: dict) -> tuple[httpx.Response | None, Replica]:
        """The server's response and the replica that gave it; None when it refused the json_schema
        response format."""
        problem, failed = "", None
        for attempt in range(self.max_retries + 1):
            if attempt and (failed is None or self.pool.healthy_count() < 2):
                time.sleep(self.backoff_s * 2 ** (attempt - 1))  # no other replica to turn to at once
            try:
                with self.pool.slot(wait_s=self.timeout_s, avoid=failed) as replica:
                    failed = replica
                    assert replica.client is not None
                    response = replica.client.post("/chat/completions", json=body)
            except ServiceUnavailable as error:
                if error.code == "model_server_busy":
                    raise
                if not problem.startswith("could not be reached"):  # keep the first failure's detail
                    problem = "could not be reached"
                continue
            except httpx.TimeoutException:
                problem = f"did not answer within {self.timeout_s:g}s"
                continue
            except httpx.TransportError as error:  # refused, reset, or the server died mid-answer
                self.pool.mark_failed(replica, type(error).__name__)
                problem = f"could not be reached ({type(error).__name__})"
                continue
            # The form this request was sent in (another thread may have switched the shared one).
            if (
                response.status_code in FORMAT_REFUSED_STATUS
                and body["response_format"]["type"] == "json_schema"
                and "response_format" in response.text
            ):
                return None, replica
            if response.status_code in RETRYABLE_STATUS:
                problem = f"answered HTTP {response.status_code}"
                continue
            if response.status_code in FORMAT_REFUSED_STATUS and CONTEXT_TOO_LONG.search(response.text):
                raise PromptTooLong(
                    message=f"the prompt is longer than the context of the model at {replica.host}"
                )
            if response.status_code >= 400:
                raise ModelRequestRejected(
                    message=f"the language model server at {replica.host} refused "
                    f"the request with HTTP {response.status_code}"
                )
            return response, replica
        raise ServiceUnavailable(
            "model_server_unavailable",
            f"the language model server at {self.url_name} {problem} after {self.max_retries + 1} attempt(s)",
        )


def _request_key(messages: list[dict], max_tokens: int) -> str:
    return hashlib.sha256(json.dumps([messages, max_tokens], sort_keys=True).encode()).hexdigest()
