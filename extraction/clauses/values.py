"""Normalised values of the categories that have one, read from the evidence's own words.

Durations are ISO 8601 (``P1Y``, ``P60D``, ``P18M``), with ``"perpetual"`` for a term without end;
a renewal term says whether it repeats (``{"duration": "P1Y", "successive": true}``); governing law
is the jurisdiction as written; a cap is an amount with its currency or a multiple of fees. Every value
carries the span it was read from, so it is grounded like any extracted value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "eighteen": 18, "twenty": 20, "twenty-four": 24, "thirty": 30, "forty-five": 45, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy-five": 75, "ninety": 90, "one hundred twenty": 120,
    "one hundred eighty": 180, "a": 1, "an": 1,
}
_WORDS = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
# "sixty (60) days", "60 days", "one year", "twelve (12) month", "thirty (30) calendar days"
DURATION = re.compile(
    rf"\b(?:(?P<word>{_WORDS})\s*(?:\(\s*(?P<paren>\d{{1,4}})\s*\))?|(?P<digits>\d{{1,4}}))[\s-]*"
    rf"(?:calendar\s+|business\s+|working\s+|full\s+|consecutive\s+|additional\s+|successive\s+)?"
    rf"(?P<unit>days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
UNIT_CODE = {"day": "D", "week": "W", "month": "M", "year": "Y"}
PERPETUAL = re.compile(r"\bperpetu\w*|\bindefinite\w*|\bin\s+perpetuity\b", re.IGNORECASE)
SUCCESSIVE = re.compile(r"\bsuccessive\b|\beach\b|\bsubsequent\b|\bconsecutive\b|\bthereafter\b",
                        re.IGNORECASE)
NOTICE_BEFORE = re.compile(r"\bnotice\b|\bprior\b|\bbefore\b|\bin\s+advance\b", re.IGNORECASE)
JURISDICTION = re.compile(
    r"\blaws?\s+(?:in\s+force\s+in\s+|of\s+|prevailing\s+in\s+)(?:the\s+)?(?:(?:State|Commonwealth|Province|"
    r"Republic|Kingdom|Federal\s+Republic)\s+of\s+)?"
    r"(?P<place>(?!United\s+States\b)[A-Z][\w'\u2019.]*(?:\s+(?:of\s+)?[A-Z][\w'\u2019]*){0,3})"
)
MONEY = re.compile(
    r"(?P<currency>US\s?\$|U\.S\.\s?\$|\$|USD|EUR|\u20ac|\u00a3|GBP|CHF)\s?(?P<amount>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>million|thousand|billion))?",
    re.IGNORECASE,
)
MULTIPLE = re.compile(
    r"\b(?P<what>(?:the\s+)?(?:total\s+|aggregate\s+)?(?:amounts?|fees?|royalties|sums?|price|consideration)"
    r"\s+(?:actually\s+)?(?:paid|payable|received)[^.;]{0,80}?)(?:\bin\s+the\s+|during\s+the\s+|for\s+the\s+)"
    r"(?P<period>(?:\w+\s+){0,2}\(?\d*\)?\s*(?:months?|years?)[^.;,]{0,40})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Value:
    value: object
    start: int
    end: int


def _amount(match: re.Match) -> int | None:
    if match.group("paren"):
        return int(match.group("paren"))
    if match.group("digits"):
        return int(match.group("digits"))
    return NUMBER_WORDS.get(match.group("word").lower().replace("  ", " "))


def durations(text: str, start: int = 0, end: int | None = None) -> list[Value]:
    """Every duration stated in ``text[start:end]``, as ISO 8601."""
    found = []
    for match in DURATION.finditer(text, start, len(text) if end is None else end):
        count = _amount(match)
        if not count:
            continue
        unit = match.group("unit").lower().rstrip("s")
        found.append(Value(f"P{count}{UNIT_CODE[unit]}", match.start(), match.end()))
    return found


def renewal_term(text: str, start: int, end: int) -> Value | None:
    """The renewal term: its length, and whether the renewals repeat ("successive one-year terms")."""
    piece = text[start:end]
    renew = re.search(r"renew|extend|extension", piece, re.IGNORECASE)
    after = start + (renew.start() if renew else 0)
    for found in durations(text, after, end) or durations(text, start, end):
        before = text[max(start, found.start - 60):found.start]
        if NOTICE_BEFORE.search(text[found.end:found.end + 40]) and "notice" in before.lower():
            continue  # "upon sixty days' notice" is the notice, not the term
        return Value({"duration": found.value, "successive": bool(SUCCESSIVE.search(piece))},
                     found.start, found.end)
    perpetual = PERPETUAL.search(text, start, end)
    if perpetual:
        return Value({"duration": "perpetual", "successive": False}, perpetual.start(), perpetual.end())
    return None


def notice_period(text: str, start: int, end: int) -> Value | None:
    """The notice needed to stop a renewal: the duration next to "notice", "prior" or "before"."""
    best = None
    for found in durations(text, start, end):
        after = NOTICE_BEFORE.search(text, found.end, min(end, found.end + 40))
        lead = text[max(start, found.start - 40):found.start]
        before = list(re.finditer(r"\bnotice\b|\bat\s+least\b", lead, re.IGNORECASE))
        gaps = [after.start() - found.end] if after else []
        gaps += [len(lead) - before[-1].end()] if before else []
        distance = min(gaps, default=None)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, found)
    return Value(best[1].value, best[1].start, best[1].end) if best else None


def governing_law(text: str, start: int, end: int) -> Value | None:
    match = JURISDICTION.search(text, start, end)
    if not match:
        return None
    place = match.group("place").rstrip(".")
    return Value(place, match.start("place"), match.start("place") + len(place))


def liability_cap(text: str, start: int, end: int) -> Value | None:
    """A cap as an amount (``{"amount": 1000000, "currency": "USD"}``) or as a multiple of what was
    paid (``{"multiple": 1, "of": "fees paid in the 12 months before the claim"}``)."""
    money = MONEY.search(text, start, end)
    if money:
        amount = float(money.group("amount").replace(",", ""))
        scale = (money.group("scale") or "").lower()
        amount *= {"thousand": 1e3, "million": 1e6, "billion": 1e9}.get(scale, 1)
        currency = {"$": "USD", "us$": "USD", "u.s.$": "USD", "\u20ac": "EUR", "\u00a3": "GBP"}.get(
            money.group("currency").replace(" ", "").lower(), money.group("currency").upper())
        return Value({"amount": int(amount) if amount.is_integer() else amount, "currency": currency},
                     money.start(), money.end())
    multiple = MULTIPLE.search(text, start, end)
    if multiple:
        what = " ".join(text[multiple.start():multiple.end()].split())
        times = re.search(r"\b(twice|two times|three times|(\d+(?:\.\d+)?)\s*(?:x|times))\b",
                          text[max(start, multiple.start() - 40):multiple.start()], re.IGNORECASE)
        factor = 1.0
        if times:
            word = times.group(1).lower()
            factor = 2.0 if word in ("twice", "two times") else 3.0 if word == "three times" else \
                float(times.group(2))
        return Value({"multiple": factor, "of": what}, multiple.start(), multiple.end())
    return None


def warranty_duration(text: str, start: int, end: int) -> Value | None:
    found = durations(text, start, end)
    return found[0] if found else None


NORMALISERS = {
    "Renewal Term": renewal_term,
    "Notice Period To Terminate Renewal": notice_period,
    "Governing Law": governing_law,
    "Cap On Liability": liability_cap,
    "Warranty Duration": warranty_duration,
}
