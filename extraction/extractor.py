"""Extraction of one text: deterministic extractors and the first-line model, merged per field,
grounded, and escalated to a larger model when the result is not good enough.

Modes: ``rules`` (deterministic extractors only), ``model`` (the language model only), ``hybrid`` (both,
plus escalation when configured; the default). The result says how it was reached in ``route``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.conf import settings

from docintel.errors import ServiceUnavailable

from . import rules
from .backends import Backend, ModelFailed, PromptTooLong, get_backend, get_escalation_backend
from .chunking import plan_chunks
from .clauses.categories import SCHEMA_KEYS
from .clauses.review import review_clauses, schema_clause_fields
from .clauses.risks import risk_flags
from .dates import writes_day_first
from .grounding import Span, ground, is_date_spec, locate, normalise
from .inference import Audience, chunk_prompt, infer, sha256_text
from .json_schema import SchemaRef, is_array
from .learning import few_shot_messages
from .phi import scrub

MODES = ("hybrid", "model", "rules")
# How much a source is trusted before grounding weighs in: regex hits on stock phrasing are right far
# more often than a 135M model; a large escalation model is trusted most.
SOURCE_WEIGHT = {"escalation": 0.9, "rules": 0.85, "model": 0.5}
SOURCE_ORDER = ("escalation", "rules", "model")
UNGROUNDED_WEIGHT = 0.1  # an unsupported value is shown only as a flagged guess
# A value the rules worked out from what the text states (an expiration from a start date and a stated
# term) has no span either, but it is not a guess: it ranks above any model answer (at most
# SOURCE_WEIGHT["model"]) and below every value a rule read. It stays flagged as ungrounded.
COMPUTED_SUPPORT = 0.6
AGREEMENT_BONUS = 0.1
# A value in these fields that the text does not support is a reason to ask a larger model.
REQUIRED_FACTS = {"contract": ["document_name", "parties", "agreement_date"],
                  "clinical_note": ["note_type", "diagnoses"]}


@dataclass
class Candidate:
    source: str  # rules | model:<chunk> | escalation:<chunk>
    data: dict
    spans: dict[str, Span] = field(default_factory=dict)
    window: tuple[int, int] | None = None
    computed: frozenset[str] = frozenset()  # pointers of values worked out, not read (see COMPUTED_SUPPORT)

    @property
    def kind(self) -> str:
        return self.source.split(":")[0]


@dataclass
class ExtractionResult:
    schema: SchemaRef
    data: dict
    grounding: dict[str, list[dict]]
    ungrounded: list[str]
    confidence: dict[str, float]
    valid: bool
    model: str
    escalated: bool
    route: dict
    text_sha256: str
    seconds_in_models: float = 0.0
    clauses: dict = field(default_factory=dict)  # contracts: the clause review (CUAD categories)
    risks: list = field(default_factory=list)  # contracts: risk flags raised by the review


def _empty(value) -> bool:
    return value is None or value == [] or value == ""


def _key(value) -> str:
    """What two answers share when they say the same thing."""
    if isinstance(value, list):
        return "|".join(sorted(_key(v) for v in value))
    if isinstance(value, dict):
        return "|".join(f"{k}={_key(v)}" for k, v in sorted(value.items()))
    return normalise(str(value)) if value is not None else ""


def _screen(schema: SchemaRef, name: str, spec: dict, value, text: str, window):
    """A model's value with what cannot be an answer removed (rules.plausible), or None.

    Lists keep their plausible items, once each; objects are judged by their first property (a
    party by its name, a diagnosis by its description)."""
    if isinstance(value, list):
        kept, seen = [], set()
        for item in value:
            screened = _screen(schema, name, spec.get("items", {}), item, text, window)
            if screened is not None and _key(screened) not in seen:
                seen.add(_key(screened))
                kept.append(screened)
        return kept or None
    if isinstance(value, dict):
        first = next(iter(spec.get("properties", {})), None)
        main = value.get(first) if first else None
        return value if main is not None and _screen(schema, name, spec["properties"][first], main, text,
                                                     window) is not None else None
    is_date = is_date_spec(spec)
    day_first = is_date and writes_day_first(text)
    span = locate(text, value, is_date=is_date, window=window, day_first=day_first) or (
        locate(text, value, is_date=is_date, day_first=day_first) if window else None)
    if is_date and span is None:
        return None  # a date the document does not state is not one of its facts
    return value if rules.plausible(schema.name, name, value, text, span) else None


def _merge(schema: SchemaRef, text: str, candidates: list[Candidate]):
    """Per field: the best-supported candidate wins; agreement between sources raises confidence."""
    data, spans, ungrounded, confidence = schema.empty(), {}, [], {}
    for name, spec in schema.schema["properties"].items():
        scored = []
        for rank, candidate in enumerate(candidates):
            value = candidate.data.get(name)
            if candidate.kind != "rules" and not _empty(value):
                value = _screen(schema, name, spec, value, text, candidate.window)
            if _empty(value):
                continue
            known = {p: s for p, s in candidate.spans.items() if p == f"/{name}" or p.startswith(f"/{name}/")}
            grounded = ground({name: value}, {"properties": {name: spec}}, text, known=known,
                              window=candidate.window, near=candidate.window[0] if candidate.window else None)
            total = len(grounded.spans) + len(grounded.ungrounded)
            support = (sum(grounded.confidence(p) for p in grounded.spans) / total) if total else 0.0
            weight = SOURCE_WEIGHT[candidate.kind]
            if grounded.spans:
                score = weight * support
            elif f"/{name}" in candidate.computed:
                score = weight * COMPUTED_SUPPORT
            else:
                score = weight * UNGROUNDED_WEIGHT
            order = SOURCE_ORDER.index(candidate.kind)
            scored.append((-score, order, rank, value, grounded, score, weight, candidate.computed))
        if not scored:
            continue
        scored.sort(key=lambda item: item[:3])
        _, _, _, value, grounded, score, weight, computed = scored[0]
        agreeing = sum(1 for other in scored[1:] if _key(other[3]) == _key(value))
        bonus = AGREEMENT_BONUS * agreeing
        data[name] = value
        spans.update(grounded.spans)
        ungrounded.extend(grounded.ungrounded)
        # Per field, and per value inside it (a party's name, a medication's dose).
        confidence[f"/{name}"] = round(min(1.0, score + bonus), 3)
        for pointer in [*grounded.spans, *grounded.ungrounded]:
            support = grounded.confidence(pointer) or (
                COMPUTED_SUPPORT if pointer in computed else UNGROUNDED_WEIGHT)
            confidence.setdefault(pointer, round(min(1.0, weight * support + bonus), 3))
    return data, spans, ungrounded, confidence


# The redacted text of the document, or a function that makes it when a model first needs it (the
# caller knows where it comes from: the redact stage's result, or redaction run on the spot).
RedactedText = str | Callable[[], str] | None
PhiEntities = list[dict] | Callable[[], list[dict] | None] | None


def _model_text(text: str, redacted: RedactedText, sees_original: bool) -> tuple[str, bool]:
    """The text a model may read, and whether offsets in it are offsets in ``text``."""
    if sees_original:
        return text, True
    if redacted is None:
        raise ServiceUnavailable("redaction_unavailable", "this model may only read redacted text, and the "
                                 "document has no redaction yet")
    readable = redacted() if callable(redacted) else redacted
    return readable, readable == text


MIN_CHUNK_CHARS = 1000


def _placed(found: Candidate, name: str, array: bool) -> bool:
    """The rules read this field at a place in the text (a list: each of its items)."""
    if not array:
        return f"/{name}" in found.spans
    items = found.data.get(name) or []
    return all(any(p.startswith(f"/{name}/{index}/") or p == f"/{name}/{index}" for p in found.spans)
               for index in range(len(items)))


def _open_fields(schema: SchemaRef, rules_found: Candidate | None) -> SchemaRef | None:
    """The schema narrowed to the fields the small model still has to answer (None: none is left), for
    ``EXTRACTION_ASK_OPEN_FIELDS_ONLY``.

    Settled without it: a value the rules found and placed in the text, which ``_merge`` keeps over any
    model's (the rules weigh 0.85 a grounded value, a model at most 0.5), and a contract's clause keys,
    which the clause review fills whatever a model says. A list counts as placed when the rules placed
    its items (their spans): the merge weighs the whole list the same way, so a model's list could only
    win where the rules found none, and it is still asked then. Only the sections of open fields are
    read (``plan_chunks``). The answer is shorter and there are fewer prompts (docs/BENCHMARKS.md).
    """
    properties = schema.schema["properties"]
    settled = set(SCHEMA_KEYS) if schema.name == "contract" and schema.custom_id is None else set()
    if rules_found is not None:
        settled |= {name for name, value in rules_found.data.items()
                    if name in properties and not _empty(value) and _placed(rules_found, name,
                                                                            is_array(properties[name]))}
    open_names = [name for name in properties if name not in settled]
    if not open_names:
        return None
    if len(open_names) == len(properties):
        return schema
    required = [name for name in schema.schema.get("required", properties) if name in open_names]
    narrowed = {**schema.schema, "properties": {name: properties[name] for name in open_names},
                "required": required}
    return replace(schema, schema=narrowed, narrowed_to=frozenset(open_names))


def _ask(backend: Backend, schema: SchemaRef, text: str, original_offsets: bool, source: str,
         audience: Audience, page_offsets: list[int] | None, route_steps: list[dict]) -> list[Candidate]:
    """The backend's answers over the planned chunks. A server whose context is smaller than our chunks
    (a llama.cpp server started with its default 2,048 tokens) gets half-size chunks, remembered."""
    while True:
        try:
            return _ask_chunks(backend, schema, text, original_offsets, source, audience, page_offsets,
                               route_steps)
        except PromptTooLong:
            if backend.max_prompt_chars <= MIN_CHUNK_CHARS:
                raise
            backend.max_prompt_chars = max(MIN_CHUNK_CHARS, backend.max_prompt_chars // 2)
            route_steps.append({"source": source, "prompt_too_long": True,
                                "retry_chunk_chars": backend.max_prompt_chars})


def _ask_chunks(backend: Backend, schema: SchemaRef, text: str, original_offsets: bool, source: str,
                audience: Audience, page_offsets: list[int] | None,
                route_steps: list[dict]) -> list[Candidate]:
    chunks = plan_chunks(text, schema.name, size=backend.max_prompt_chars,
                         overlap=settings.EXTRACTION_CHUNK_OVERLAP, max_chunks=settings.EXTRACTION_MAX_CHUNKS,
                         page_offsets=page_offsets if original_offsets else None, fields=schema.narrowed_to)
    candidates = []
    # Reviewers' corrections of the same schema, shown before the document (redacted text only).
    examples = few_shot_messages(schema, settings.EXTRACTION_FEW_SHOT)
    if examples:
        route_steps.append({"source": f"{source}:few_shot", "examples": len(examples) // 2})
    # Every chunk's first prompt goes to the model server now, concurrently (bounded per server);
    # infer() below takes the answers in order and writes their audit events on this thread.
    ahead = [chunk_prompt(schema, text, chunk, parts=len(chunks), examples=examples).messages
             for chunk in chunks]
    with backend.prefetched(ahead, schema.schema, max_tokens=backend.max_tokens):
        for chunk in chunks:
            try:
                answer = infer(backend, schema, text, chunk, parts=len(chunks), audience=audience,
                               examples=examples)
            except ModelFailed as error:
                route_steps.append({"source": f"{source}:{chunk.index}", "backend": backend.name,
                                    "chunk": chunk.as_dict(), "valid": False, "problems": [error.code]})
                continue
            route_steps.append({
                "source": f"{source}:{chunk.index}", "backend": backend.name, "model": backend.model,
                "chunk": chunk.as_dict(), "valid": answer.valid, "repairs": answer.repairs,
                "problems": answer.problems[:10], "calls": len(answer.calls),
                "prompt_tokens": sum(c.prompt_tokens for c in answer.calls),
                "completion_tokens": sum(c.completion_tokens for c in answer.calls),
                "latency_ms": sum(c.latency_ms for c in answer.calls),
            })
            if answer.valid and answer.data is not None:
                window = (chunk.start, chunk.end) if original_offsets else None
                candidates.append(Candidate(f"{source}:{chunk.index}", answer.data, window=window))
    return candidates


def _escalation_reasons(schema: SchemaRef, steps: list[dict], ungrounded: list[str],
                        confidence: dict[str, float]) -> list[str]:
    reasons = []
    if any(not step.get("valid", True) for step in steps if step["source"].startswith("model")):
        reasons.append("invalid_output")
    required = REQUIRED_FACTS.get(schema.name, [])
    if any(p == f"/{f}" or p.startswith(f"/{f}/") for p in ungrounded for f in required):
        reasons.append("ungrounded_required")
    fields = [value for pointer, value in confidence.items() if pointer.count("/") == 1]
    if fields and sum(fields) / len(fields) < settings.ESCALATION_MIN_CONFIDENCE:
        reasons.append("low_confidence")
    return reasons


def extract(text: str, schema: SchemaRef, *, mode: str = "hybrid", backend: Backend | None = None,
            page_offsets: list[int] | None = None, redacted_text: RedactedText = None,
            phi_entities: PhiEntities = None, document=None, actor=None) -> ExtractionResult:
    """Extract ``schema`` from ``text``. ``redacted_text`` (same document, PHI replaced; or a function
    that returns it) is what a model reads when the settings do not let it read the original;
    escalation reads it by default. ``phi_entities`` (the redaction engine's entities of ``text``, or a
    function that returns them) keep identifiers out of a clinical note's values. A contract also gets
    its clause review, which fills the schema's clause keys."""
    route: dict = {"mode": mode, "steps": [], "escalation": None}
    candidates: list[Candidate] = []
    models_used = []
    if mode in ("rules", "hybrid"):
        proposal = rules.propose(schema.name, text, schema.empty())
        if proposal is not None:
            candidates.append(Candidate("rules", proposal.data, proposal.spans,
                                        computed=frozenset(proposal.computed)))
            route["steps"].append({"source": "rules", "valid": not schema.errors(proposal.data)})
            models_used.append("rules")
    asked: SchemaRef | None = schema
    if mode == "hybrid" and settings.EXTRACTION_ASK_OPEN_FIELDS_ONLY:
        asked = _open_fields(schema, candidates[0] if candidates else None)
        if asked is None:
            route["steps"].append({"source": "model", "skipped": "settled_by_rules"})
    if asked is not None and mode in ("model", "hybrid"):
        backend = backend or get_backend(schema_name=schema.name)
        readable, same_offsets = _model_text(text, redacted_text, settings.SLM_SEES_ORIGINAL)
        candidates += _ask(backend, asked, readable, same_offsets, "model",
                           Audience(document, actor, route="slm"), page_offsets, route["steps"])
        models_used.insert(0, backend.model)
    data, spans, ungrounded, confidence = _merge(schema, text, candidates)
    escalated = False
    if mode == "hybrid":
        reasons = _escalation_reasons(schema, route["steps"], ungrounded, confidence)
        escalation = get_escalation_backend() if reasons else None
        route["escalation"] = {"reasons": reasons, "done": escalation is not None,
                               "sees": "original" if settings.ESCALATION_SEES_ORIGINAL else "redacted"}
        if escalation is not None:
            readable, same_offsets = _model_text(text, redacted_text, settings.ESCALATION_SEES_ORIGINAL)
            audience = Audience(document, actor, escalated=True, escalation_reason=",".join(reasons),
                                route="escalation")
            candidates += _ask(escalation, schema, readable, same_offsets, "escalation", audience,
                               page_offsets, route["steps"])
            data, spans, ungrounded, confidence = _merge(schema, text, candidates)
            models_used.append(escalation.model)
            escalated = True
    clauses: dict = {}
    risks: list = []
    if schema.name == "contract" and schema.custom_id is None:
        clauses, risks = _review_contract(text, data, spans, ungrounded, confidence)
    if schema.name == "clinical_note" and schema.custom_id is None:
        route["phi"] = _keep_identifiers_out(schema, text, data, spans, ungrounded, confidence, phi_entities)
    problems = schema.errors(data)
    seconds = sum(step.get("latency_ms", 0) for step in route["steps"]) / 1000
    return ExtractionResult(
        schema=schema, data=data,
        grounding={pointer: [span.as_dict()] for pointer, span in sorted(spans.items())},
        ungrounded=sorted(ungrounded), confidence=confidence, valid=not problems,
        model="+".join(models_used), escalated=escalated, route=route, text_sha256=sha256_text(text),
        seconds_in_models=seconds, clauses=clauses, risks=risks,
    )


def _forget(pointer: str, spans: dict, ungrounded: list[str], confidence: dict) -> None:
    """Drop what is known about ``pointer`` and the values under it."""
    def under(p: str) -> bool:
        return p == pointer or p.startswith(f"{pointer}/")
    for known in [p for p in spans if under(p)]:
        del spans[known]
    for known in [p for p in confidence if under(p)]:
        del confidence[known]
    ungrounded[:] = [p for p in ungrounded if not under(p)]


def _review_contract(text: str, data: dict, spans: dict[str, Span], ungrounded: list[str],
                     confidence: dict[str, float]) -> tuple[dict, list]:
    """The clause review of a contract; the schema's clause keys take its evidence sentence."""
    grounding = {pointer: [span.as_dict()] for pointer, span in spans.items()}
    review = review_clauses(text, data=data, grounding=grounding)
    for key, filled in schema_clause_fields(text, review).items():
        pointer = f"/{key}"
        _forget(pointer, spans, ungrounded, confidence)
        data[key] = None
        if filled is not None:
            sentence, (start, end) = filled
            data[key] = sentence
            spans[pointer] = Span(start, end, "exact")
            confidence[pointer] = round(review.findings[SCHEMA_KEYS[key]].confidence, 3)
    clauses = review.as_dict()
    return clauses, risk_flags(clauses)


def _keep_identifiers_out(schema: SchemaRef, text: str, data: dict, spans: dict[str, Span],
                          ungrounded: list[str], confidence: dict[str, float], entities: PhiEntities) -> dict:
    """No identifier the redaction engine found in ``text`` stays in a clinical note's values."""
    found = entities() if callable(entities) else entities
    if found is None:
        raise ServiceUnavailable("redaction_unavailable", "a clinical note's values are checked for "
                                 "identifiers by redaction, and the document has no redaction yet")
    scrubbed = scrub(data, schema.schema, text, found)
    touched = {pointer[1:].split("/")[0] for pointer in scrubbed.refused + scrubbed.cleaned}
    for name in touched:  # items may have moved up a list: the field is grounded again, whole
        field_confidence = confidence.get(f"/{name}", UNGROUNDED_WEIGHT)
        _forget(f"/{name}", spans, ungrounded, confidence)
        spec = schema.schema["properties"][name]
        grounded = ground({name: data[name]}, {"properties": {name: spec}}, text)
        spans.update(grounded.spans)
        ungrounded.extend(grounded.ungrounded)
        if not _empty(data[name]):
            confidence[f"/{name}"] = field_confidence
        for pointer in [*grounded.spans, *grounded.ungrounded]:
            confidence[pointer] = round(grounded.confidence(pointer) or UNGROUNDED_WEIGHT, 3)
    return {"cleaned": len(scrubbed.cleaned), "refused": len(scrubbed.refused)}
