"""English words of a standard-mode fax put right where a lost stroke turned one letter into another.

A standard-mode fax has 100 (or 98) scan lines an inch: at 10-12 pt the stroke that tells "e" from
"c", "a" from "u", "t" from "l" or "b" from "h" often falls between two lines, and no preprocessing
brings it back (``BENCHMARKS.md`` lists the image filters tried). Tesseract then reads "cach", "und",
"Lhe", "agrcement". Its own dictionary does not stop that: the fast English model's word list holds
338,000 entries, "cach", "und" and "trom" among them.

``corrected`` takes a word Tesseract read on such a page and, when it is not an English word, tries
the letters a fax confuses (``CONFUSED``, one or two of them), and takes the one English word that
comes out, if exactly one does. Short words (up to three letters) are checked against the commonest
English words only (``COMMON_SHORT``: "lo" is a dictionary word, but on a fax it is "to"). Left alone:
names, places and months (as read), words with digits or inner punctuation, single letters, roman
numerals in brackets ("(ii)"), capitalised words of four letters or fewer ("Kong") and capitals of
four or fewer (abbreviations: "HR" is not "HE").

Tuning pages (``BENCHMARKS.md``): 24 standard-mode contract faxes 0.8127 -> 0.8310 word fidelity; 40
clinical notes' faxes 0.9684 -> 0.9687 (names were "corrected" until the name lists kept them). On
clean scans the same correction lost 0.007 (their rare words are right and got "corrected"), so it
runs on standard-mode faxes only, and only when the OCR language is English alone ("und" is German).

The word lists are redaction's (``docintel/redaction/lexicons``: English from web2 and GCIDE, 530,000
words; first and last names, places, months), read here as files: parsing sits below redaction and
imports nothing from it. They are loaded once per process, on the first standard-mode fax page.
"""

from __future__ import annotations

import gzip
import re
import threading
from functools import cache
from pathlib import Path

LEXICONS = Path(__file__).resolve().parent.parent / "redaction" / "lexicons"
ENGLISH_WORDS = LEXICONS / "english_words.txt.gz"  # names, towns and months taken out (see its build.py)
# A word read that is a name, a place or a month stays as read: the English list has none of them, so
# without these "Dubois" became "Dubais", "Jones" "Joues" and "April" "Uprit" on tuning notes' faxes.
PROPER_NAMES = tuple(
    LEXICONS / f"{name}.txt.gz" for name in ("first_names", "last_names", "places", "months")
)

# What a fax's missing scan line makes of a letter (read -> meant), from the tuning pages' diffs.
CONFUSED = {
    "c": "e",
    "e": "c",
    "u": "a",
    "a": "u",
    "l": "t",
    "i": "t",
    "t": "lf",
    "h": "b",
    "b": "h",
    "f": "tr",
    "x": "s",
    "n": "u",
    "o": "a",
    "r": "e",
}
# Two letters read for one (or "rm" read "nn"); only in words of four letters or more.
CONFUSED_PAIRS = {"nn": "rm", "in": "m", "rn": "m", "ii": "h", "li": "h", "cl": "d"}
MAX_CHANGES = 2
# The commonest short English words: a fax's "lo", "hy", "ure" are "to", "by", "are".
COMMON_SHORT = frozenset(
    "a all an and any are as at be but by can do due each for from had has have he her his how if in into "  # noqa: SIM905
    "is it its may me my no not of off on one or our out per she so than that the them then they this to "
    "two up upon us was we were who why will with you your".split()
)
INFLECTIONS = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"))
_WORD = re.compile(r"^(\W*)([^\W\d_]+)(\W*)$")
_LOCK = threading.Lock()


def _read(path: Path) -> frozenset[str]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return frozenset(handle.read().split("\n")) - {""}


@cache
def _english() -> frozenset[str]:
    with _LOCK:
        return _read(ENGLISH_WORDS)


@cache
def _proper_names() -> frozenset[str]:
    with _LOCK:
        return frozenset().union(*(_read(path) for path in PROPER_NAMES))


def available() -> bool:
    return ENGLISH_WORDS.exists() and all(path.exists() for path in PROPER_NAMES)


def is_english(word: str) -> bool:
    """``word`` (lower case) or its stem without an English inflection is in the dictionary."""
    english = _english()
    if word in english:
        return True
    for suffix, replacement in INFLECTIONS:
        stem = word[: len(word) - len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3 and stem + replacement in english:
            return True
    return False


def _one_change_more(words: set[str], pairs: bool) -> set[str]:
    found = set()
    for word in words:
        for index, letter in enumerate(word):
            for meant in CONFUSED.get(letter, ""):
                found.add(word[:index] + meant + word[index + 1 :])
        if pairs:
            for read, meant in CONFUSED_PAIRS.items():
                for match in re.finditer(read, word):
                    found.add(word[: match.start()] + meant + word[match.end() :])
    return found


def _meant(word: str) -> str | None:
    """The one word ``word`` (lower case letters) was meant to be, or None when it is a word already,
    or no word or more than one is within reach."""
    if len(word) <= 3:
        if word in COMMON_SHORT:
            return None
        candidates = {w for w in _one_change_more({word}, pairs=False) if w in COMMON_SHORT}
        return candidates.pop() if len(candidates) == 1 else None
    if is_english(word):
        return None
    seen, frontier = {word}, {word}
    for _ in range(MAX_CHANGES):
        frontier = _one_change_more(frontier, pairs=True) - seen
        seen |= frontier
        candidates = {w for w in frontier if is_english(w)}
        if candidates:  # the fewest changes win; a tie between words is not ours to break
            return candidates.pop() if len(candidates) == 1 else None
    return None


def corrected(token: str) -> str:
    """``token`` (one word as read, with any punctuation around it) with its letters put right."""
    match = _WORD.match(token)
    if not match:
        return token
    before, word, after = match.groups()
    if len(word) < 2 or (before.endswith("(") and after.startswith(")")):
        return token
    capitalised = word[0].isupper() and not word.isupper()
    if (capitalised and 3 < len(word) <= 4) or (word.isupper() and len(word) <= 4):
        return token  # short names ("Kong") and abbreviations ("HR", "NP")
    if len(word) > 3 and word.lower() in _proper_names():
        return token  # short words change only into the commonest ones, and "lo", "hy", "und" are names
    meant = _meant(word.lower())
    if meant is None:
        return token
    if word.isupper():
        meant = meant.upper()
    elif capitalised:
        meant = meant[0].upper() + meant[1:]
    return before + meant + after
