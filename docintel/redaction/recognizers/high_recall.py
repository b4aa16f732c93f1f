"""The high-recall pass of the clinical profile (``Rules.profile``), in the spirit of Philter."""

from __future__ import annotations

import regex

from docintel.redaction.lexicons import fold, lexicon

from .base import Recognizer
from .listed_names import classify, company_spans, inside


class UnknownCapitalisedWordRecognizer(Recognizer):
    """The high-recall pass of the clinical profile, in the spirit of Philter: a capitalised word that no
    list knows as an English or medical word is taken for a name (or a place, when GeoNames knows it), so
    that names nobody listed ("Verda", "Samoylova") do not show. Medical vocabulary, countries, months,
    short upper-case abbreviations ("RUQ", "NSTEMI") and words with digits stay readable."""

    entity = "NAME"
    flags = 0
    WORD = regex.compile(r"(?<![\w@/.-])\p{Lu}(?:\p{Ll}+|\p{Lu}+)(?:[-'\u2019]\p{L}+)*(?![\w@-]|\.\w)")

    def __init__(self) -> None:
        super().__init__()
        self.supported_entities = ["NAME", "ADDRESS"]

    def analyze(self, text, entities=None, nlp_artifacts=None):
        results = []
        companies = company_spans(text)
        for match in self.WORD.finditer(text):
            word = match.group()
            if len(word) < 3 or (word.isupper() and len(word) <= 6 and classify(word) != "name"):
                continue
            if len(word) <= 4 and classify(word) != "name":
                continue  # "Hosp", "Tdap", "Grp": short Title-case words are abbreviations far more often
            if fold(word) in lexicon().clinical:  # a drug or a disease nobody lists as a name
                continue
            kind = classify(word, text[match.end() : match.end() + 30])
            if kind in ("word", "ambiguous") or inside(companies, *match.span()):
                continue
            entity = "ADDRESS" if kind == "place" else "NAME"
            results.append(self.result(match.start(), match.end(), 0.4, entity))
        return results
