"""Prompt templates, versioned and hashed.

Order matters for vLLM's prefix cache: the fixed system prompt and the schema come first (identical for
every document of a schema, so the server reuses their KV cache), the document text comes last.
Changing a template's wording means bumping its version; the hash of the template is in every audit
event, so an inference can always be traced to the exact instructions the model saw.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Canonical (compact, sorted) JSON: fewer prompt tokens, and byte-identical across documents (cache).
from .json_schema import schema_text

TEMPLATE_VERSION = "extract-v1"

SYSTEM = (
    "You extract facts from a document into JSON that follows the JSON Schema below.\n"
    "Rules: copy values exactly as they are written in the document; write dates as YYYY-MM-DD; "
    "use null (or [] for lists) when the document does not state a fact; never guess; "
    "answer with the JSON object only.\n"
    "JSON Schema:\n{schema}"
)
USER = "Document (part {part} of {parts}, characters {start}-{end}):\n<<<\n{text}\n>>>\nJSON:"
REPAIR = ("Your previous answer was not valid for the schema ({problems}). "
          "Answer again with one JSON object that follows the schema, and nothing else.")

TEMPLATE_SHA256 = hashlib.sha256("\x1e".join([TEMPLATE_VERSION, SYSTEM, USER, REPAIR]).encode()).hexdigest()


@dataclass(frozen=True)
class Prompt:
    messages: list[dict]
    template_hash: str = TEMPLATE_SHA256


def extraction_prompt(schema: dict, text: str, *, part: int = 1, parts: int = 1, start: int = 0,
                      examples: list[dict] | None = None) -> Prompt:
    """``examples``: user/assistant turns of reviewed documents (``learning.few_shot_messages``), put
    between the fixed system prompt and the document, so the prefix cache still holds the system part."""
    return Prompt([
        {"role": "system", "content": SYSTEM.format(schema=schema_text(schema))},
        *(examples or []),
        {"role": "user", "content": USER.format(part=part, parts=parts, start=start, end=start + len(text),
                                                text=text)},
    ])


def repair_prompt(prompt: Prompt, answer: str, problems: list[str]) -> Prompt:
    """Ask again once, showing the model its own answer and what was wrong with it (paths, no values)."""
    return Prompt([*prompt.messages, {"role": "assistant", "content": answer},
                   {"role": "user", "content": REPAIR.format(problems="; ".join(problems[:5]) or "not JSON")},
                   ])
