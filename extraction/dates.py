"""Dates as written in documents: find every mention, with its span and its ISO value.

Only complete dates (day, month, year) count: a value must be checkable against its source text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS = {name: number for number, names in enumerate([
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1) for name in names}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
# Ordinals, also as PDF text layers split them ("10t h", "1s t").
_DAY = r"(?P<day>[0-3]?\d)\s*(?:s\s?t|n\s?d|r\s?d|t\s?h)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"

PATTERNS = [
    # March 30, 2009 / March 30th 2009 / March 18. 2021 (a full stop typed for the comma)
    re.compile(rf"\b{_MONTH}\s+{_DAY}\s*[,.]?\s*{_YEAR}\b", re.IGNORECASE),
    # 30 March 2009 / 10th day of January, 2020 / 1st day of June 2005 / the 20 March day of 1998 /
    # 28th of November 2024 (as clinicians dictate it)
    # 24-Feb-2024 (as hospital systems print it)
    re.compile(rf"\b{_DAY}(?:\s*|-)(?:(?:day\s+)?of\s+)?{_MONTH}(?:\s*|-)(?:day\s+of\s+)?,?\s*{_YEAR}\b",
               re.IGNORECASE),
    # 2009-03-30
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),
    # 3/30/2009, 03/30/09 (US order, as in the contracts we read)
    re.compile(r"(?<![\d/])(?P<month>[01]?\d)/(?P<day>[0-3]?\d)/(?P<year>(?:19|20)?\d\d)(?![\d/])"),
    # 13/07/05: day first, which only a day over 12 proves (07/05/05 stays US order, above)
    re.compile(r"(?<![\d/])(?P<day>1[3-9]|2\d|3[01])/(?P<month>0?[1-9]|1[0-2])/(?P<year>(?:19|20)?\d\d)(?![\d/])"),
    # 28.07.2024: dotted dates are day first wherever they are written (European letters and notes)
    re.compile(r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)\.(?P<year>(?:19|20)\d\d)(?!\d|\.\d)"),
]


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    iso: str


def _to_iso(match: re.Match) -> str | None:
    month_raw = match.group("month").lower().rstrip(".")
    month = MONTHS.get(month_raw) if not month_raw.isdigit() else int(month_raw)
    if month is None:
        return None
    year = int(match.group("year"))
    if year < 100:
        year += 2000 if year < 50 else 1900
    try:
        return date(year, month, int(match.group("day"))).isoformat()
    except (TypeError, ValueError):
        return None


def date_mentions(text: str, start: int = 0, end: int | None = None) -> list[DateMention]:
    """Every complete date in ``text[start:end]``, in reading order, spans into ``text``."""
    end = len(text) if end is None else end
    found: dict[int, DateMention] = {}
    for pattern in PATTERNS:
        for match in pattern.finditer(text, start, end):
            iso = _to_iso(match)
            if iso and not any(m.start <= match.start() < m.end for m in found.values()):
                found[match.start()] = DateMention(match.start(), match.end(), iso)
    return [found[key] for key in sorted(found)]


# A slashed date whose day and month could trade places (05/03/2024), and any slashed date.
AMBIGUOUS_SLASHED = re.compile(r"(0?[1-9]|1[0-2])/(0?[1-9]|1[0-2])/((?:19|20)?\d\d)")
SLASHED = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/((?:19|20)?\d\d)(?![\d/])")


def writes_day_first(text: str) -> bool:
    """Whether a document writes its slashed dates day first: one of them says so (13/07/2024) and none
    says the contrary (07/13/2024). ``date_mentions`` reads an ambiguous one (05/03/2024) month first,
    as the contracts we read write them; European notes and letters do not."""
    proofs = {("day" if int(a) > 12 else "month") for a, b, _ in SLASHED.findall(text)
              if (int(a) > 12) != (int(b) > 12) and max(int(a), int(b)) <= 31}
    return proofs == {"day"}


def day_first_iso(written: str) -> str | None:
    """The day-first reading of a slashed date that also reads month first ("05/03/2024": 5 March);
    None for any other text."""
    match = AMBIGUOUS_SLASHED.fullmatch(written.strip())
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    year += (2000 if year < 50 else 1900) if year < 100 else 0
    return date(year, month, day).isoformat()


def reading(written: str, *, day_first: bool = False) -> str | None:
    """The ISO date a text that is exactly one date means, in a document that writes its slashed
    dates day first or not (``writes_day_first``)."""
    return (day_first and day_first_iso(written)) or parse_date(written)


def add_duration(iso: str, *, years: int = 0, months: int = 0) -> str:
    """``iso`` moved on by a stated term, to the same day of the month ("ten years from January 15,
    2018" ends January 15, 2028); a day the target month lacks becomes its last day."""
    start = date.fromisoformat(iso)
    total = start.month - 1 + months + 12 * years
    year, month = start.year + total // 12, total % 12 + 1
    day = start.day
    while True:
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            day -= 1


def parse_date(written: str) -> str | None:
    """The ISO value of a text that is exactly one date, else None."""
    mentions = date_mentions(written.strip())
    if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end == len(written.strip()):
        return mentions[0].iso
    return None
