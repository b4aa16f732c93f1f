"""Consistent pseudonyms within one document: the same original always gets the same surrogate.

Names get realistic surrogate names (matched case-insensitively, so "SMITH" and "Smith" stay one person,
written back in the original's case); every other type gets a numbered tag such as ``[MRN-2]``, which
keeps "same record number twice" visible without inventing plausible-looking identifiers.
"""

from __future__ import annotations

SURROGATE_NAMES = (
    "Avery",
    "Blake",
    "Carter",
    "Dalton",
    "Ellis",
    "Finley",
    "Grayson",
    "Harlow",
    "Irving",
    "Jensen",
    "Keller",
    "Lowell",
    "Marlow",
    "Norris",
    "Oakley",
    "Preston",
    "Quinlan",
    "Radford",
    "Sutton",
    "Thorne",
    "Upton",
    "Vance",
    "Whitley",
    "Yates",
    "Ashby",
    "Brooks",
    "Corwin",
    "Darby",
    "Emery",
    "Fenwick",
    "Garland",
    "Hollis",
)


class Pseudonymizer:
    def __init__(self) -> None:
        self.assigned: dict[tuple[str, str], str] = {}
        self.counts: dict[str, int] = {}

    def surrogate(self, kind: str, original: str) -> str:
        key = (kind, " ".join(original.lower().split()))
        if key not in self.assigned:
            number = self.counts.get(kind, 0)
            self.counts[kind] = number + 1
            if kind == "NAME":
                base = SURROGATE_NAMES[number % len(SURROGATE_NAMES)]
                self.assigned[key] = base + (
                    str(number // len(SURROGATE_NAMES) + 1) if number >= len(SURROGATE_NAMES) else ""
                )
            else:
                self.assigned[key] = f"[{kind}-{number + 1}]"
        value = self.assigned[key]
        if kind == "NAME":
            if original.isupper() and len(original) > 1:
                return value.upper()
            if original.islower():
                return value.lower()
        return value
