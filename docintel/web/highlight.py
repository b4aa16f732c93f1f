"""Render a document's text as HTML with marked spans (entities, grounding of extracted fields).

Spans may overlap: the text is cut at every span boundary and each piece carries every mark over it.
"""

from __future__ import annotations

from itertools import pairwise

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


def marked_text(text: str, entities: list[dict], fields: dict[str, list[dict]]) -> str:
    """``entities``: [{"type","start","end"}]; ``fields``: field id -> [{"start","end"}]."""
    marks: list[tuple[int, int, str, str]] = []  # (start, end, kind, label)
    for entity in entities:
        marks.append((entity["start"], entity["end"], "entity", entity["type"]))
    for field_id, spans in fields.items():
        for span in spans:
            marks.append((span["start"], span["end"], "field", field_id))
    length = len(text)
    cuts = sorted({0, length, *(max(0, min(length, p)) for m in marks for p in m[:2])})
    pending = sorted((m for m in marks if m[0] < m[1]), key=lambda m: m[0], reverse=True)
    covering: list[tuple[int, int, str, str]] = []
    parts = []
    for start, end in pairwise(cuts):  # sweep: marks open at their start and close at their end
        while pending and pending[-1][0] <= start:
            covering.append(pending.pop())
        covering = [m for m in covering if m[1] >= end]
        piece = escape(text[start:end])
        if not covering:
            parts.append(piece)
            continue
        types = sorted({m[3] for m in covering if m[2] == "entity"})
        field_ids = sorted({m[3] for m in covering if m[2] == "field"})
        classes = ["mark"] + (["entity"] if types else []) + (["grounding"] if field_ids else [])
        parts.append(format_html(
            '<span class="{}" data-fields="{}" data-start="{}"{}>{}</span>', " ".join(classes),
            " ".join(field_ids), start,
            format_html(' title="{}"', ", ".join(types)) if types else "", piece,
        ))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308  (every piece is escaped above)
