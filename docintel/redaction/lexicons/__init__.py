"""The word lists redaction reads, loaded once per process (about half a second).

Each list is a set of lower-case entries, accents kept and folded ("zoë" and "zoe"); see README.md
beside this file for sources and licences, and ``build.py`` for how they are made.
"""

from __future__ import annotations

import gzip
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _read(name: str) -> frozenset[str]:
    with gzip.open(HERE / f"{name}.txt.gz", "rt", encoding="utf-8") as handle:
        return frozenset(handle.read().split("\n")) - {""}


def fold(word: str) -> str:
    """Lower case without accents, as the lists are written."""
    word = word.lower()
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Lexicon:
    first_names: frozenset[str]
    last_names: frozenset[str]
    places: frozenset[str]
    regions: frozenset[str]  # countries and US states: not PHI on their own
    english: frozenset[str]  # words a reader knows (dictionary and today's common words)
    clinical: frozenset[str]  # medical vocabulary: MeSH words, drugs and brands
    months: frozenset[str]  # month names, full and abbreviated, in eleven languages

    def is_word(self, word: str) -> bool:
        """An English or medical word, inflections included ("ambulated", "fractures"), and a medical
        word in British spelling ("Hyperkalaemia", "Oedema", "Diarrhoea")."""
        w = fold(word)
        if w in self.english or w in self.clinical:
            return True
        american = american_medical_spelling(w)
        if american != w and american in self.clinical:
            return True
        for suffix, replacement in INFLECTIONS:
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                stem = w[: len(w) - len(suffix)] + replacement
                if stem in self.english or stem in self.clinical:
                    return True
        return False

    def is_name(self, word: str) -> bool:
        w = fold(word)
        return w in self.first_names or w in self.last_names


# British medical spelling keeps the Greek and Latin digraphs that American spelling (MeSH, and so our
# clinical list) reduced: haem/hem, oedema/edema, diarrhoea/diarrhea, paediatric/pediatric. Only words of
# seven letters or more are tried, and only the clinical list is asked, so that a name with "ae" in it
# ("Gael", "Raphael") cannot turn into a word.
BRITISH_DIGRAPHS = (("oea", "ea"), ("ae", "e"), ("oe", "e"))


def american_medical_spelling(word: str) -> str:
    if len(word) < 7:
        return word
    for british, american in BRITISH_DIGRAPHS:
        word = word.replace(british, american)
    return word


INFLECTIONS = (
    ("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ly", ""),
    ("'s", ""), ("ogram", "ography"), ("ograms", "ography"), ("ally", ""), ("ically", "ic"), ("ally", "al"),
)


@cache
def lexicon() -> Lexicon:
    return Lexicon(
        first_names=_read("first_names"),
        last_names=_read("last_names"),
        places=_read("places"),
        regions=_read("regions"),
        english=_read("english_words"),
        clinical=_read("clinical_terms"),
        months=_read("months"),
    )
