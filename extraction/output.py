"""Reading a model's answer as JSON, repairing the usual damage.

Servers do not always honour structured output (recent vLLM silently ignores the old ``guided_json``
field; an answer cut at ``max_tokens`` is truncated JSON), so every answer is parsed and validated here,
whatever the backend promised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


def _strip_fences(answer: str) -> str:
    return FENCE.sub("", answer.strip())


def _first_object(answer: str) -> str:
    start = answer.find("{")
    return answer[start:] if start >= 0 else answer


def _close_truncated(answer: str) -> str | None:
    """Cut a truncated object back to its last complete value and close what is open."""
    stack, in_string, escaped, last_good = [], False, False, None
    for index, char in enumerate(answer):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]":
            if not stack:
                break
            stack.pop()
            if not stack:
                return answer[:index + 1]
        if char == "," and len(stack) == 1:
            # Before a top-level comma every member so far is complete; a cut-off list or object is
            # dropped whole rather than half-kept (and an answer with no complete member is not repaired
            # into an empty one: that would pass garbage off as "nothing found").
            last_good = (index, list(stack))
    if last_good is None:
        return None
    cut, open_brackets = last_good
    return answer[:cut].rstrip().rstrip(",") + "".join(reversed(open_brackets))


def parse_answer(answer: str) -> tuple[object | None, list[str]]:
    """(parsed JSON or None, the repairs it took). Repairs: strip fences, drop prose before the object,
    close truncated JSON at its last complete value."""
    repairs: list[str] = []
    text: str | None = answer or ""
    steps: tuple[tuple[str, Callable[[str], str | None]], ...] = (
        ("strip_fences", _strip_fences), ("first_object", _first_object),
        ("close_truncated", _close_truncated))
    try:
        return json.loads(text or ""), repairs
    except json.JSONDecodeError:
        pass
    for name, step in steps:
        text = step(text or "")
        if text is None:
            break
        repairs.append(name)
        try:
            return json.loads(text), repairs
        except (json.JSONDecodeError, TypeError):
            continue
    return None, repairs
