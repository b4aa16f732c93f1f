"""Reviewers' corrections as data the model learns from.

Two uses of the same examples (a document's text and its extraction as reviewers left it: confirmed
values kept, corrected values replaced, the newest verdict per field winning):

* ``training_records``: chat-format JSONL (``{"messages": [system, user, assistant]}``), the format
  that common LoRA fine-tuning tools read (TRL's SFTTrainer, axolotl's ``chat_template`` datasets,
  LLaMA-Factory, unsloth), with exactly the prompt docintel sends at inference, so that an adapter
  trained on it sees at training what it sees in production (``deploy/finetune/``).
* ``few_shot_messages``: the newest corrected examples of a schema, put before a document's prompt at
  once, so corrections help before any training run.

Text is the document's redacted text unless ``DOCINTEL_TRAINING_SEES_ORIGINAL`` says otherwise: the
examples leave the document's access controls (a file, a prompt for other documents). An example is a
window of the text; values the window does not state are left out of its answer, so the example never
teaches the model to answer what it cannot read.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from . import pointers
from .grounding import is_date_spec, leaves, locate
from .json_schema import SchemaRef, schema_text
from .models import CorrectionStatus, Extraction
from .prompts import extraction_prompt
from .schemas import get_schema

EXAMPLE_CHARS = 4000  # the window of a training example: what one embedded prompt carries
FEW_SHOT_CHARS = 1200  # a few-shot example is short: it costs prompt time on every document


@dataclass
class Example:
    extraction: Extraction
    text: str  # the window of the text the example shows
    answer: dict  # the reviewed answer, limited to what the window says
    corrected: int  # how many fields a reviewer changed
    confirmed: int

    @property
    def document(self):
        return self.extraction.document


def reviewed_data(extraction: Extraction) -> tuple[dict, int, int]:
    """(the extraction's data with the reviewers' newest verdict per field applied, corrected count,
    confirmed count)."""
    data = copy.deepcopy(extraction.data)
    newest = {}
    for correction in extraction.corrections.order_by("created", "pk"):
        newest[correction.pointer] = correction
    corrected = confirmed = 0
    for pointer, correction in newest.items():
        corrects = correction.status == CorrectionStatus.CORRECTED
        if corrects and pointers.assign(data, pointer, correction.value):
            corrected += 1
        elif correction.status == CorrectionStatus.CONFIRMED:
            confirmed += 1
    return data, corrected, confirmed


def readable_text(document, sees_original: bool | None = None) -> str | None:
    """The text an example may show: the redacted text (None when the document has none yet), or the
    original where the deployment allows it."""
    if settings.TRAINING_SEES_ORIGINAL if sees_original is None else sees_original:
        return document.text or None
    redaction = getattr(document, "redaction", None)
    return redaction.redacted_text if redaction is not None else None


def within(schema: SchemaRef, data: dict, text: str) -> dict:
    """``data`` without the values ``text`` does not state: a field becomes null, a list keeps the items
    whose every value is stated."""
    def stated(value, spec: dict) -> bool:
        return all(locate(text, v, is_date=is_date_spec(s)) is not None for _, v, s in leaves(value, spec))

    kept: dict[str, object] = {}
    for name, spec in schema.schema["properties"].items():
        value = data.get(name)
        if isinstance(value, list):
            kept[name] = [item for item in value if stated(item, spec.get("items", {}))]
        else:
            kept[name] = value if value in (None, "") or stated(value, spec) else None
    return kept


def examples(schema_name: str, *, include_confirmed: bool = True, sees_original: bool | None = None,
             window: int = EXAMPLE_CHARS, limit: int | None = None) -> Iterator[Example]:
    """Reviewed extractions of ``schema_name``, newest first: each document's current extraction that a
    reviewer corrected (or, with ``include_confirmed``, only confirmed)."""
    schema = get_schema(schema_name)
    query = (Extraction.objects.filter(schema_name=schema_name, corrections__isnull=False)
             .select_related("document").distinct().order_by("-created", "-pk"))
    seen: set = set()
    for extraction in query.iterator():
        if extraction.document_id in seen:
            continue
        seen.add(extraction.document_id)
        data, corrected, confirmed = reviewed_data(extraction)
        if not corrected and not (include_confirmed and confirmed):
            continue
        text = readable_text(extraction.document, sees_original)
        if not text:
            continue
        piece = text[:window]
        yield Example(extraction, piece, within(schema, data, piece), corrected, confirmed)
        if limit is not None and len(seen) >= limit:
            return


def chat_record(schema: SchemaRef, example: Example) -> dict:
    """One training line: the inference prompt for the window, and the reviewed answer."""
    prompt = extraction_prompt(schema.schema, example.text)
    return {"messages": [*prompt.messages, {"role": "assistant", "content": schema_text(example.answer)}]}


def few_shot_messages(schema: SchemaRef, count: int) -> list[dict]:
    """User/assistant turns of the newest corrected examples (redacted text), to put before a prompt."""
    if count <= 0:
        return []
    turns: list[dict] = []
    for example in examples(schema.name, include_confirmed=False, sees_original=False,
                            window=FEW_SHOT_CHARS, limit=count):
        prompt = extraction_prompt(schema.schema, example.text)
        # The answer as the prompt's schema asks it (a schema narrowed to the open fields asks fewer).
        asked = schema.schema["properties"]
        answer = {name: value for name, value in example.answer.items() if name in asked}
        turns += [prompt.messages[1], {"role": "assistant", "content": schema_text(answer)}]
    return turns
