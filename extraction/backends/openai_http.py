"""OpenAI-compatible HTTP backend (vLLM in production; llama.cpp's server in tests).

Structured output is requested with ``response_format: {"type": "json_schema"}``, which current vLLM
honours; a server that refuses that form (llama.cpp's Python server knows only ``json_object`` with a
``schema``) is asked again in its own form, once, and that form is kept. The answer is validated by the
caller anyway, because servers differ (and vLLM silently ignores the removed ``guided_json`` field).

Connection failures, timeouts, 5xx and 429 are retried with
exponential backoff; when the server stays down the error is a ``ServiceUnavailable`` naming the host,
so the pipeline stage fails with that reason and succeeds when retried after the server is back.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from docintel.errors import DocintelError, ServiceUnavailable

from . import Backend, Completion, PromptTooLong

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
# vLLM: "This model's maximum context length is 16384 tokens"; llama.cpp: code context_length_exceeded.
CONTEXT_TOO_LONG = re.compile(r"maximum context length|context_length_exceeded|exceeds? (?:the )?context",
                              re.IGNORECASE)
FORMAT_REFUSED_STATUS = {400, 422, 500}


class ModelRequestRejected(DocintelError):
    """The server understood the request and refused it (bad model name, unsupported option)."""

    default_code = "model_request_rejected"


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(self, url: str, model: str, *, max_prompt_chars: int, timeout_s: float | None = None,
                 max_retries: int | None = None, backoff_s: float | None = None) -> None:
        self.url = url.rstrip("/")
        self.model = model or "default"
        self.url_name = urlsplit(self.url).hostname or "unknown"
        self.max_prompt_chars = max_prompt_chars
        self.timeout_s = settings.LLM_TIMEOUT_S if timeout_s is None else timeout_s
        self.max_retries = settings.LLM_MAX_RETRIES if max_retries is None else max_retries
        self.backoff_s = settings.LLM_RETRY_BACKOFF_S if backoff_s is None else backoff_s
        self.max_tokens = settings.LLM_MAX_TOKENS
        self.format_style = "json_schema"  # becomes "json_object" for servers that refuse json_schema
        headers = {"Authorization": f"Bearer {settings.LLM_API_KEY}"} if settings.LLM_API_KEY else {}
        self.client = httpx.Client(base_url=self.url, timeout=self.timeout_s, headers=headers)

    def complete(self, messages: list[dict], schema: dict, *, max_tokens: int) -> Completion:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_tokens,
        }
        started = time.monotonic()
        response = self._post({**body, "response_format": self._response_format(schema)})
        if response is None:  # the server does not know this form of structured output: its own form
            self.format_style = "json_object"
            response = self._post({**body, "response_format": self._response_format(schema)})
        latency_ms = round((time.monotonic() - started) * 1000)
        if response is None:  # neither form of structured output was understood
            raise ServiceUnavailable("model_bad_response", f"the language model server at {self.url_name} "
                                     "accepts no structured-output request")
        try:
            payload = response.json()
            choice = payload["choices"][0]
            usage = payload.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError):
            raise ServiceUnavailable("model_bad_response",
                                     f"the language model server at {self.url_name} sent an unreadable "
                                     "response") from None
        return Completion(
            text=(choice.get("message") or {}).get("content") or "",
            finish_reason=choice.get("finish_reason") or "",
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            latency_ms=latency_ms,
            model_version=str(payload.get("model") or self.model),
        )

    def _response_format(self, schema: dict) -> dict:
        if self.format_style == "json_schema":
            return {"type": "json_schema", "json_schema": {
                "name": str(schema.get("title") or "extraction"), "schema": schema, "strict": True}}
        return {"type": "json_object", "schema": schema}

    def _post(self, body: dict) -> httpx.Response | None:
        """The server's response; None when it refused the json_schema response format."""
        problem = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                response = self.client.post("/chat/completions", json=body)
            except httpx.TimeoutException:
                problem = f"did not answer within {self.timeout_s:g}s"
                continue
            except httpx.TransportError as error:
                problem = f"could not be reached ({type(error).__name__})"
                continue
            if (response.status_code in FORMAT_REFUSED_STATUS and self.format_style == "json_schema"
                    and "response_format" in response.text):
                return None
            if response.status_code in RETRYABLE_STATUS:
                problem = f"answered HTTP {response.status_code}"
                continue
            if response.status_code in FORMAT_REFUSED_STATUS and CONTEXT_TOO_LONG.search(response.text):
                raise PromptTooLong(message=f"the prompt is longer than the context of the model at "
                                            f"{self.url_name}")
            if response.status_code >= 400:
                raise ModelRequestRejected(message=f"the language model server at {self.url_name} refused "
                                                   f"the request with HTTP {response.status_code}")
            return response
        raise ServiceUnavailable("model_server_unavailable",
                                 f"the language model server at {self.url_name} {problem} "
                                 f"after {self.max_retries + 1} attempt(s)")
