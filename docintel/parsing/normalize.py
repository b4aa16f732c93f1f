"""Text clean-up applied to every page before the pages are joined.

Normalisation happens per page, before offsets are computed, so the returned text IS the normalised
text and every offset (page starts, redaction spans, grounding) indexes into it.
"""

from __future__ import annotations

import re

# Typographic ligatures that PDF fonts map to one code point; search and extraction want the letters.
LIGATURES = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st",
})
# Spaces that are not ASCII spaces (no-break, thin, ideographic…) become plain spaces.
_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\v]")
# Control characters (NUL included), soft hyphens, zero-width marks, byte-order marks, lone surrogates
# and non-characters carry no text (and some cannot even be stored).
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff"
                        r"\ud800-\udfff\ufffe\uffff]")
_NEWLINES = re.compile(r"\r\n?|[\f\x1c-\x1e\u2028\u2029\x85]")
_RUNS_OF_SPACES = re.compile(r" {2,}")
_SPACE_AT_LINE_ENDS = re.compile(r" *\n *")
_BLANK_LINES = re.compile(r"\n{3,}")
# A word broken at a line end: "exam-\nple", "non-\nexclusive", "21218-\n2695".
_LINE_END_HYPHEN = re.compile(r"(\w+)-\n(\w+)")
_WORD = re.compile(r"\w+")
_COMPOUND = re.compile(r"\w+-\w+")

PAGE_SEPARATOR = "\n\n"


def clean_page(text: str) -> str:
    """Characters and whitespace of one page: ligatures, controls, newlines, runs of spaces."""
    text = _NEWLINES.sub("\n", text)  # before _INVISIBLE, which would eat the \x1c-\x1e separators
    text = _INVISIBLE.sub("", text.translate(LIGATURES))
    text = _RUNS_OF_SPACES.sub(" ", _SPACES.sub(" ", text))
    text = _SPACE_AT_LINE_ENDS.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip("\n ")


def join_hyphenated(pages: list[str]) -> list[str]:
    """Rejoin words split at line ends, using the document itself as the dictionary.

    Contracts break lines at hard hyphens ("non-\\nexclusive") far more often than inside words, so the
    hyphen is dropped only when the joined word occurs elsewhere in the document ("agree-\\nment" when
    "agreement" appears) and the hyphenated form does not; otherwise only the line break goes.
    """
    words: set[str] = set()
    compounds: set[str] = set()

    def rejoin(match: re.Match) -> str:
        head, tail = match.group(1), match.group(2)
        if not (head[-1].isalpha() and tail[0].islower()):
            return f"{head}-{tail}"
        if not words:  # built on the first candidate only: most pages have none
            text = "\n".join(pages).lower()
            words.update(_WORD.findall(text))
            compounds.update(_COMPOUND.findall(text))
        if (head + tail).lower() in words and f"{head}-{tail}".lower() not in compounds:
            return head + tail
        return f"{head}-{tail}"

    return [_LINE_END_HYPHEN.sub(rejoin, page) for page in pages]


def normalise_pages(pages: list[str]) -> list[str]:
    return join_hyphenated([clean_page(page) for page in pages])


def assemble(pages: list[str]) -> tuple[str, list[int]]:
    """Join normalised pages into one text; returns it with each page's start offset."""
    offsets, position = [], 0
    for page in pages:
        offsets.append(position)
        position += len(page) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(pages), offsets
