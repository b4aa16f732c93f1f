"""No direct identifier in a clinical note's extracted values.

The ``clinical_note`` schema holds clinical facts, never who the patient is. Every value is checked
against what the redaction engine found in the note: a value whose text contains an identifier the
engine found (a name, an address, an MRN, a phone number…) is cleaned (the identifier cut out, when
what is left still says something) or refused (null, or the list item dropped). Dates are the one kind
of PHI the schema keeps on purpose (``encounter_date``), and only in date fields. A value of an ``icd10``
field that is exactly an ICD-10 code is kept too: a diagnosis code names a condition, never a person,
and the engine may take a labelled code ("Code: E10.9") for an identifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import pointers
from .grounding import is_date_spec, leaves

# Entity types that may stay: the schema's date fields hold dates by design.
KEPT_IN_DATE_FIELDS = {"DATE"}
MIN_LEFT_CHARS = 3
ICD10_CODE = re.compile(r"[A-TV-Z][0-9][0-9AB](?:\.[0-9A-Z]{1,4})?")
WORD = re.compile(r"\w")


@dataclass
class Scrubbed:
    data: dict
    cleaned: list[str]  # pointers whose value had an identifier cut out
    refused: list[str]  # pointers whose value was dropped


def _identifiers(text: str, entities: list[dict]) -> list[tuple[str, str]]:
    """(type, text) of each entity, longest first; names also word by word ("Ruth", "Nakamura")."""
    found = set()
    for entity in entities:
        written = " ".join(text[entity["start"]:entity["end"]].split())
        if len(written) < 2:
            continue
        found.add((entity["type"], written))
        if entity["type"] == "NAME":
            found.update(("NAME", part.strip(".,")) for part in written.split()
                         if len(part.strip(".,")) >= 3 and part[:1].isupper())
    return sorted(found, key=lambda item: -len(item[1]))


def _clean(value: str, identifiers: list[tuple[str, str]], date_field: bool) -> tuple[str | None, bool]:
    """(value with identifiers cut out or None when nothing useful is left, whether it changed)."""
    changed = False
    for kind, written in identifiers:
        if date_field and kind in KEPT_IN_DATE_FIELDS:
            continue
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, written.split())) + r"(?!\w)",
                             re.IGNORECASE)
        value, count = pattern.subn(" ", value)
        changed = changed or bool(count)
    if not changed:
        return value, False
    value = " ".join(value.split()).strip(" ,;:-()[]")
    return (value if len(WORD.findall(value)) >= MIN_LEFT_CHARS else None), True


def _main(schema: dict, name: str) -> str | None:
    """The first property of a list's items (a diagnosis' description, a medication's name)."""
    properties = schema["properties"].get(name, {}).get("items", {}).get("properties", {})
    return next(iter(properties), None)


def scrub(data: dict, schema: dict, text: str, entities: list[dict]) -> Scrubbed:
    """``data`` with no identifier the redaction engine found in ``text`` left in any value."""
    identifiers = _identifiers(text, entities)
    cleaned, refused = [], []
    dropped_items: set[tuple[str, int]] = set()
    for pointer, value, spec in list(leaves(data, schema)):
        if not isinstance(value, str) or (pointer.endswith("/icd10") and ICD10_CODE.fullmatch(value)):
            continue
        kept, changed = _clean(value, identifiers, is_date_spec(spec))
        if not changed:
            continue
        parts = pointer[1:].split("/")
        if kept is None:
            refused.append(pointer)
            in_list = len(parts) >= 2 and parts[1].isdigit()
            if in_list and (len(parts) == 2 or parts[2] == _main(schema, parts[0])):
                dropped_items.add((parts[0], int(parts[1])))  # an item without its main fact is no item
                continue
            pointers.assign(data, pointer, None)
        else:
            cleaned.append(pointer)
            pointers.assign(data, pointer, kept)
    for name, index in sorted(dropped_items, reverse=True):
        data[name].pop(index)
    return Scrubbed(data, cleaned, refused)
