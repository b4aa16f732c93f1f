"""How faithfully extracted text matches a reference text: word-sequence similarity in [0, 1].

Case and punctuation are ignored, word order is not: 1.0 means the same words in the same order.
Used by the fidelity tests and the parse benchmark against the contracts' reference texts.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Indel

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def word_similarity(text: str, reference: str) -> float:
    """2·(words in the longest common subsequence) / (words in both): difflib's ratio, computed fast."""
    return Indel.normalized_similarity(words(text), words(reference))
