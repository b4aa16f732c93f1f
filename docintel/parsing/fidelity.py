"""How faithfully extracted text matches a reference text: word-sequence similarity in [0, 1].

Case and punctuation are ignored, word order is not: 1.0 means the same words in the same order.
Used by the fidelity tests and the parse and OCR benchmarks against the reference texts.

Before splitting into words, both sides are put in one spelling of the same text, and nothing else:
- Unicode compatibility forms (NFKC): ligature glyphs ("ﬁ" is "fi"), full-width and superscript
  digits, and the like, which a PDF's text layer keeps and a reader (or OCR) cannot tell apart;
- quote and apostrophe marks that Unicode files as letters (the modifier letters U+02B9-U+02BC, U+02EE:
  some PDFs set "Party" in U+02BA marks), so that they separate words like any other quote mark
  instead of gluing themselves to the word.
Accents, digits and letters that merely look alike (0/O, 1/l) are NOT folded: they are different text.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import Indel

_WORD = re.compile(r"\w+")
_QUOTE_LETTERS = str.maketrans({"\u02b9": "'", "\u02ba": '"', "\u02bb": "'", "\u02bc": "'", "\u02ee": '"'})


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).translate(_QUOTE_LETTERS).lower())


def word_similarity(text: str, reference: str) -> float:
    """2·(words in the longest common subsequence) / (words in both): difflib's ratio, computed fast."""
    return Indel.normalized_similarity(words(text), words(reference))
