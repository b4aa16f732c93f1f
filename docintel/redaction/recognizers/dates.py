# ruff: noqa: E501  (patterns and word lists read better unbroken)
"""Dates (any date element but the year alone: numeric, ISO, compact, written months in the deployment's
languages) and ages over 89 in any notation (Safe Harbor keeps ages of 89 and under)."""

from __future__ import annotations

from datetime import date

import regex

from docintel.redaction.lexicons import fold, lexicon

from .base import Recognizer

MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?[ \t]+)?"
DAY = r"(?:0?[1-9]|[12]\d|3[01])"
ORDINAL = r"(?:st|nd|rd|th)?"
YEAR = r"(?:1[89]\d{2}|20\d{2})"


class DateElementRecognizer(Recognizer):
    """Any date element but the year alone: numeric, ISO, written months, day-month, month-year."""

    entity = "DATE"
    patterns = (
        (rf"(?<![\w/.-])(?:0?[1-9]|1[0-2])[/-]{DAY}[/-](?:{YEAR}|\d{{2}})(?![\w/]|\.\d)", 0.85),  # 03/14/2023
        (
            rf"(?<![\w/.-]){DAY}[./-](?:0?[1-9]|1[0-2])[./-](?:{YEAR}|\d{{2}})(?![\w/]|\.\d)",
            0.85,
        ),  # 14.03.2023
        (rf"(?<![\w/.-]){YEAR}[-/.](?:0[1-9]|1[0-2])[-/.](?:0[1-9]|[12]\d|3[01])(?![\w/]|\.\d)", 0.9),  # ISO
        (rf"\b{WEEKDAY}{MONTH}\.?[ \t]+{DAY}{ORDINAL}(?:,?[ \t]+{YEAR})?\b", 0.8),  # March 14, 2023
        (rf"\b{WEEKDAY}{DAY}{ORDINAL}[ \t]+(?:of[ \t]+)?{MONTH}\.?,?(?:[ \t]+{YEAR})?\b", 0.8),  # 14 Mar 2023
        (rf"\b{DAY}-{MONTH}-(?:{YEAR}|\d{{2}})\b", 0.9),  # 14-MAR-2023
        (rf"\b{MONTH}\.?,?[ \t]+{YEAR}\b", 0.7),  # March 2023
        (rf"(?<![\w/.-])(?:0?[1-9]|1[0-2])/{YEAR}\b", 0.6),  # 03/2023
        # A month/day with no year is a date only when the words around say so ("RTC 3/15", not "pain 3/10").
        (rf"(?<![\w/.-])(?:0?[1-9]|1[0-2])/{DAY}(?![\w/]|\.\d)", 0.2),
    )
    context_words = (
        "on",
        "rtc",
        "f/u",
        "follow up",
        "follow-up",
        "seen",
        "dated",
        "date",
        "since",
        "until",
        "from",
        "by",
        "starting",
        "due",
        "visit",
        "return",
        "admitted",
        "discharged",
        "dob",
        "dos",
        "born",
    )
    context_window = 15
    negative_words = (
        "pain",
        "grade",
        "murmur",
        "strength",
        "tab",
        "mg",
        "mmhg",
        "bp",
        "score",
        "scale",
        "power",
        "x",
    )

    def score(self, text, start, end, base):
        if base >= 0.6:
            return base
        return super().score(text, start, end, base)


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



YEARS_WORD = (
    r"(?:years?|yrs?|y/?o|y\.o\.?|yo|year[ -]old|yr[ -]old|-year-old|jahre?n?|jähriger?|jährige|-jährige[rn]?|ans|anni|"
    r"años|jaar|år|lat|let|roky|aar)"
)



class AgeOver89Recognizer(Recognizer):
    """Ages of 90 and over (and only those): Safe Harbor keeps ages of 89 and under."""

    entity = "AGE_OVER_89"
    AGE = r"(?P<phi>9\d|1[01]\d)"
    patterns = (
        (rf"\b{AGE}[ \t]*(?:-|[ \t])?[ \t]*(?:years?|yrs?|y/?o|y\.o\.?|yo|year[ -]old|yr[ -]old)\b", 0.9),
        # Written out: "ninety-three years old", "one hundred and one year old"
        (
            r"\b(?P<phi>(?:ninety(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|one[- ]hundred"
            r"(?:[- ](?:and[- ])?(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve))?))"
            r"[ \t-]+(?:years?|yrs?|year-old)\b",
            0.85,
        ),
        (
            rf"\b(?:age[ds]?|aged|turns?|turning|age:)[ \t]*[:|]?[ \t]*(?:of[ \t]+)?{AGE}\b(?![ \t]*(?:%|mg"
            rf"|kg|mmhg|bpm|/))",
            0.85,
        ),
        (rf"\b{AGE}(?:[ \t]*(?:yo|y/o|[MF]))\b", 0.8),
        (rf"\|[ \t]*age[ \t]*\|[ \t]*{AGE}[ \t]*\|", 0.9),
        # "Maria Gonzalez, 91, was admitted": an age set off by commas after a name
        (rf"(?<=\p{{L}},[ \t]*){AGE}(?=[ \t]*,)", 0.5),
        # The same in the deployment's other notations and languages:
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
