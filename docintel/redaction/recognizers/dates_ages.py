"""Dates written compactly or with month names in the deployment's languages, and ages over 89 in any
notation. (Numeric and English dates: ``contact.DateElementRecognizer``.)"""

from __future__ import annotations

from datetime import date

import regex

from docintel.redaction.lexicons import fold, lexicon

from .base import Recognizer

DAY = r"(?:0?[1-9]|[12]\d|3[01])"
YEAR = r"(?:1[89]\d{2}|20\d{2})"
WORD = r"\p{L}[\p{L}.]*"


class CompactDateRecognizer(Recognizer):
    """YYYYMMDD ("DOB: 19320601") and, after a date label, DDMMYYYY: checked to be a real calendar day."""

    entity = "DATE"
    flags = 0
    patterns = (
        (r"(?<![\w./-])(?P<phi>(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?![\w/-]|\.\d)", 0.6),
        (r"(?<![\w./-])(?P<phi>(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])(?:19|20)\d{2})(?![\w/-]|\.\d)", 0.3),
    )
    context_words = ("dob", "d.o.b", "born", "birth", "date", "dated", "geb", "geboren", "né", "née", "date of", "on", "collected", "seen", "visit", "exam", "admitted", "discharged")
    context_window = 25

    def validate(self, value: str) -> bool | None:
        year, month, day = (value[:4], value[4:6], value[6:]) if value[:2] in ("19", "20") and int(value[4:6]) <= 12 else (value[4:], value[2:4], value[:2])
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            return False
        return None


class MonthNameDateRecognizer(Recognizer):
    """A day and a month name in any of the deployment's languages, with or without a year:
    "15. März 1941", "3 févr. 2020", "1 de mayo de 2019", "12 stycznia 2021", "maart 2020"."""

    entity = "DATE"
    flags = regex.IGNORECASE
    patterns = (
        (rf"(?<![\w]){DAY}\.?(?:[ \t]+de)?[ \t]+(?P<month>{WORD})(?:[ \t]+(?:de[ \t]+)?{YEAR})?(?![\w])", 0.8),
        (rf"(?<![\w])(?P<month>{WORD})[ \t]+{DAY}(?:st|nd|rd|th)?\.?,?[ \t]+{YEAR}(?![\w])", 0.8),
        (rf"(?<![\w])(?P<month>{WORD})[ \t]+{YEAR}(?![\w])", 0.6),
    )

    def spans(self, text):
        months = lexicon().months
        for pattern, base in self.compiled:
            for match in pattern.finditer(text):
                month = match.group("month").rstrip(".")
                if fold(month) not in months:
                    continue
                # Without a year, "2 mar" in a note is likelier a grade or a dose than the 2nd of March.
                if regex.search(YEAR, match.group()) or len(month) >= 4 or month[0].isupper():
                    yield match.start(), match.end(), base


AGE = r"(?P<phi>9\d|1[01]\d)"
YEARS_WORD = (
    r"(?:years?|yrs?|y/?o|y\.o\.?|yo|year[ -]old|yr[ -]old|-year-old|jahre?n?|jähriger?|jährige|-jährige[rn]?|ans|anni|"
    r"años|jaar|år|lat|let|roky|aar)"
)


class AgeOver89AnyNotationRecognizer(Recognizer):
    """Ages of 90 and over however written: "(93)" after a name, "93yo", "aged 93", "93 Jahre",
    "93-jährige", "âgée de 93 ans", "age: 93", "93F"."""

    entity = "AGE_OVER_89"
    flags = regex.IGNORECASE
    patterns = (
        (rf"(?<![\w.,/-]){AGE}[ \t]*-?[ \t]*{YEARS_WORD}(?![\w])", 0.9),
        # "(93)" right after a name or title: the age a clinician writes after the patient's name
        # (not "ninety (90) days": a number written twice in a contract)
        (rf"(?<=[\p{{L}}.][ \t]?)(?<!(?i:ty|red|ety)[ \t]?)\([ \t]*{AGE}[ \t]*(?:y|yo|j|a)?\)(?![ \t]*(?i:days?|weeks?|months?|years?|hours?|minutes?|%|percent|calendar|business))", 0.75),
        # "she is 103", "who turned 95 last week"
        (rf"(?<![\w])(?i:he|she|they|who|patient|pt|mother|father|resident)[ \t]+(?i:is|was|turned|turns|will[ \t]+be|has[ \t]+turned)[ \t]+(?i:now[ \t]+)?{AGE}(?![\w.,/%]|[ \t]*(?:%|mg|kg|mmhg|bpm|/))", 0.8),
        (rf"(?<![\w])(?:age[ds]?|aged|âgée?|alter|edad|età|leeftijd|ålder|alder|wiek|věk)[ \t]*(?:of|de|di|van|:|=)?[ \t]*{AGE}(?![\w.,/%]|[ \t]*(?:%|mg|kg|mmhg|bpm))", 0.85),
        (rf"(?<![\w.,/-]){AGE}[ \t]?(?:[MFWmfw]|yo)(?![\w])", 0.7),
        # "Kaul, Liese (98)" and "Maria Gonzalez, 91, was admitted": after a name, set off
        (rf"(?<=\p{{L}},[ \t]*){AGE}(?=[ \t]*[,)])", 0.5),
    )
