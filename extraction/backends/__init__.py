"""Language-model backends behind one small interface (``Backend.complete``).

``embedded``: SmolLM2-135M through llama.cpp, in-process, the default with nothing configured.
``openai``: any OpenAI-compatible server (vLLM in production), at ``DOCINTEL_LLM_URL`` (one URL, or
several comma-separated replicas of the same model: ``pool.ReplicaPool``).
Backends only talk to models; parsing, validation, repair and auditing happen in ``inference``.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from docintel.errors import DocintelError, InputError

BACKEND_NAMES = ("embedded", "openai")


class ModelFailed(DocintelError):
    """The model could not answer this prompt (an engine error, not an outage): the chunk has no
    answer; the rest of the extraction goes on."""

    default_code = "model_failed"


class PromptTooLong(DocintelError):
    """The server's context is smaller than the prompt: the caller sends smaller chunks."""

    default_code = "prompt_too_long"


@dataclass(frozen=True)
class Completion:
    """One answer of a model, with what the audit needs to know about it."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    model_version: str
    url_name: str = ""  # the replica that answered (host or host:port); blank: the backend's own


class Backend:
    name: str = ""
    model: str = ""
    url_name: str = ""  # host name only: where the text went, without credentials or paths
    max_prompt_chars: int = 6000  # how much document text one prompt may carry
    max_tokens: int = 700  # how long one answer may be

    def complete(self, messages: list[dict], schema: dict, *, max_tokens: int) -> Completion:
        """Answer ``messages`` with JSON constrained (or at least asked) to follow ``schema``.
        Raises ``ServiceUnavailable`` when the model cannot be reached. Safe to call from several
        threads at once."""
        raise NotImplementedError

    def prefetched(self, requests: list[list[dict]], schema: dict, *, max_tokens: int):
        """A block within which ``complete`` answers ``requests`` (lists of messages) that were sent
        ahead, concurrently. Backends that answer one request at a time send nothing ahead."""
        return nullcontext()


def schema_model(schema_name: str | None) -> str:
    """The served model for a schema: its LoRA adapter where ``DOCINTEL_LLM_SCHEMA_MODELS`` names one
    (``contract=contract-lora,...``), else ``DOCINTEL_LLM_MODEL`` (deploy/finetune/)."""
    for pair in (settings.LLM_SCHEMA_MODELS or "").split(","):
        schema, _, model = pair.partition("=")
        if schema.strip() and schema.strip() == schema_name and model.strip():
            return model.strip()
    return settings.LLM_MODEL


def get_backend(name: str | None = None, *, schema_name: str | None = None) -> Backend:
    """The first-line backend: ``name``, or the OpenAI-compatible server when one is configured (asked
    for the schema's own model, see ``schema_model``)."""
    name = name or ("openai" if settings.LLM_URL else "embedded")
    if name == "embedded":
        from .embedded import EmbeddedBackend

        return EmbeddedBackend.shared()
    if name == "openai":
        if not settings.LLM_URL:
            raise InputError("backend_not_configured", "set DOCINTEL_LLM_URL to use the openai backend")
        return _http_backend(settings.LLM_URL, schema_model(schema_name), settings.LLM_CHUNK_CHARS)
    raise InputError("unknown_backend", f"backend must be one of {', '.join(BACKEND_NAMES)}")


def get_escalation_backend() -> Backend | None:
    if not settings.ESCALATION_URL:
        return None
    return _http_backend(settings.ESCALATION_URL, settings.ESCALATION_MODEL, settings.ESCALATION_CHUNK_CHARS)


@cache
def _http_backend(url: str, model: str, chunk_chars: int) -> Backend:
    from .openai_http import OpenAIBackend

    return OpenAIBackend(url, model, max_prompt_chars=chunk_chars)
