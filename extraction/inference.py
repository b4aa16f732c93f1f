"""The one way docintel asks a language model for an extraction: ``infer``.

It builds the prompt, calls the backend, writes one ``model.inference`` audit event per call (details in
clear, no PHI; the parsed output encrypted with the document's key), parses and validates the answer
against the schema, repairs what can be repaired and re-asks once when the answer is still unusable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import transaction

from audit.actions import record_event

from .backends import Backend, Completion
from .chunking import Chunk
from .json_schema import SchemaRef
from .output import parse_answer
from .prompts import Prompt, extraction_prompt, repair_prompt


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Inference:
    """A model's answer for one chunk, after repair: ``data`` is schema-valid, or None."""

    data: dict | None
    problems: list[str]
    repairs: list[str]
    calls: list[Completion] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.data is not None


@dataclass(frozen=True)
class Audience:
    """Who and what an inference is for, as the audit records it."""

    document: object = None
    actor: object = None
    purpose: str = "extraction"
    escalated: bool = False
    escalation_reason: str = ""
    route: str = "slm"  # slm | escalation


def _complete(text: str, answer_of: Prompt, backend: Backend, schema: SchemaRef, audience: Audience,
              input_sha256: str) -> tuple[Completion, object, list[str]]:
    completion = backend.complete(answer_of.messages, schema.schema, max_tokens=backend.max_tokens)
    parsed, repairs = parse_answer(completion.text)
    with transaction.atomic():
        record_event(
            "model.inference", document=audience.document, actor=audience.actor, purpose=audience.purpose,
            details={
                "model": backend.model, "model_version": completion.model_version, "backend": backend.name,
                "backend_url_name": completion.url_name or backend.url_name, "schema_id": schema.name,
                "schema_version": schema.version, "prompt_template_hash": answer_of.template_hash,
                "input_sha256": input_sha256, "output_sha256": sha256_text(completion.text),
                "prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens,
                "latency_ms": completion.latency_ms, "finish_reason": completion.finish_reason,
                "escalated": audience.escalated, "escalation_reason": audience.escalation_reason,
                "route": audience.route, "input_chars": len(text),
            },
            # The output holds PHI: encrypted with the document's key. A file read by the CLI has no
            # document (and no key): its event records hashes only.
            sensitive=None if audience.document is None else {
                "output": parsed if parsed is not None else completion.text},
        )
    return completion, parsed, repairs


def _check(parsed, schema: SchemaRef) -> tuple[dict | None, list[str], list[str]]:
    """(valid data or None, problems, repairs). Missing top-level facts become null/[] (the schema's
    empty answer), which is what a truncated answer most often lacks."""
    if not isinstance(parsed, dict):
        return None, ["$: not a JSON object"], []
    repairs = []
    asked = schema.schema["properties"]
    if schema.narrowed_to is not None and not parsed.keys() <= asked.keys():
        # Asked without some fields (``extractor._open_fields``), a server that does not enforce the
        # schema may still answer them: those answers are not used, so they are dropped, not re-asked.
        parsed = {k: v for k, v in parsed.items() if k in asked}
        repairs.append("dropped_unasked")
    missing = {k: v for k, v in schema.empty().items() if k not in parsed}
    if missing:
        parsed = {**parsed, **missing}
        repairs.append("filled_missing")
    problems = schema.errors(parsed)
    return (None if problems else parsed), problems, repairs


def chunk_prompt(schema: SchemaRef, text: str, chunk: Chunk, *, parts: int,
                 examples: list[dict] | None = None) -> Prompt:
    """The first prompt ``infer`` sends for ``chunk`` (what a backend may send ahead, concurrently)."""
    return extraction_prompt(schema.schema, text[chunk.start:chunk.end], part=chunk.index + 1, parts=parts,
                             start=chunk.start, examples=examples)


def infer(backend: Backend, schema: SchemaRef, text: str, chunk: Chunk, *, parts: int,
          audience: Audience, examples: list[dict] | None = None) -> Inference:
    """Ask ``backend`` for ``schema`` over ``text[chunk.start:chunk.end]``; at most two calls."""
    piece = text[chunk.start:chunk.end]
    input_sha256 = sha256_text(piece)
    prompt = chunk_prompt(schema, text, chunk, parts=parts, examples=examples)
    completion, parsed, repairs = _complete(piece, prompt, backend, schema, audience, input_sha256)
    data, problems, filled = _check(parsed, schema)
    calls = [completion]
    if data is None:
        again = repair_prompt(prompt, completion.text, problems)
        retry, parsed, more = _complete(piece, again, backend, schema, audience, input_sha256)
        calls.append(retry)
        data, problems, filled = _check(parsed, schema)
        repairs = [*repairs, "re_asked", *more]
    return Inference(data, problems, [*repairs, *filled], calls)
