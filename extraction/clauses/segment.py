"""Contracts cut into the pieces a clause review reads: headings and sentences, with character offsets.

CUAD's annotators mark whole sentences ("from period to period"), so a sentence is the unit that is
scored, kept as evidence and shown. Headings ("12. Governing Law", "ARTICLE 5 TERM", a table of
contents line) are units of their own: they say what the sentences under them are about, and they are
never evidence themselves. Text from PDFs wraps every line, so a single line break is a space; a
blank line, or a line break before a clause number, starts a new paragraph. Some texts run a whole page
on one line ("...as follows: 1. BACKGROUND 1.1 In the course of..."): a clause number at the start of a
sentence followed by a short title ("9.2 Non-Assignment.", "6.2 Termination by Company:", "3. GRANT")
is taken off the sentence as a heading there too.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

# A line that opens a new numbered part: "12.", "12.1", "(a)", "(iv)", "Section 5", "ARTICLE IV", "a)".
MARKER = r"(?:(?:section|article|clause|paragraph)\s+[0-9ivxlc]+[a-z]?(?:\.[0-9]+)*\.?|" \
         r"\d{1,3}(?:\.\d{1,3}){0,3}\.?(?=\s)|\([a-z0-9]{1,4}\)|[a-z]\)|[ivx]{1,5}\.)"
NEW_PART = re.compile(rf"\n[ \t]*(?={MARKER}[ \t]+\S)", re.IGNORECASE)
BLANK = re.compile(r"\n[ \t\f\r]*\n\s*")
# A heading at the start of a paragraph: its number and a short title in title or capital case, ended
# by a period, a colon, a dash or the end of the line ("21. Governing Law and Jurisdiction").
_TITLE_WORD = r"(?:[A-Z][\w'\u2019/&-]*|of|and|or|the|to|for|in|on|by|with|a|an|upon|&|-)"
HEADING = re.compile(
    rf"^[ \t]*(?:{MARKER}[ \t]+)?(?P<title>[A-Z][\w'\u2019/&-]*(?:[ \t]+{_TITLE_WORD}){{0,9}})"
    rf"(?P<stop>[ \t]*(?:[.:]|[-\u2013\u2014])(?=\s)|[ \t]*(?:\n|$))",
    re.IGNORECASE | re.MULTILINE,
)
NUMBER_ONLY = re.compile(rf"^[ \t]*{MARKER}[ \t]*$", re.IGNORECASE)
# Where a sentence ends: . ! ? (and a closing quote or bracket), then space and something that starts a
# sentence. Abbreviations and initials do not end one.
SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
ABBREVIATION = re.compile(
    r"(?:\b(?:inc|corp|co|ltd|llc|l\.l\.c|n\.a|no|nos|sec|secs|art|para|st|mr|mrs|ms|dr|jr|sr|vs|v|etc|e\.g|"
    r"i\.e|u\.s|u\.k|s\.a|b\.v|n\.v|a\.g|g\.m\.b\.h|p\.c|l\.p|p\.a|pty|plc|approx|est|fig|ex|exh|cf|al|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|u\.s\.a|d\.c)|\b[A-Z]|\d+(?:\.\d+)*)\.$",
    re.IGNORECASE,
)
MIN_SENTENCE_CHARS = 12
# After "...under Paragraph 8.1." the period ends the sentence when a clause number and a capital follow
# ("8.1. 6.3 Termination by JHU: ..."), although "8.1." alone reads as a number.
NEXT_CLAUSE = re.compile(r"\s+\d{1,3}(?:\.\d{1,3})+\.?\s+[A-Z\"\u201c(]")
# A heading inside a sentence: a clause number, then a title in capitals ("1. BACKGROUND", "2.TERM,
# EXTENSION AND RENEWAL:") or in title case ended by a period or colon ("9.2 Non-Assignment."), then
# the body, a period/colon, or the next clause number.
_CAPS_WORD = r"[A-Z][A-Z0-9'\u2019/&-]*[A-Z0-9][,;]?"
_CAPS_SMALL = r"(?:OF|AND|OR|THE|TO|FOR|IN|ON|BY|WITH|A|AN|&|-)"
INLINE_HEADING = re.compile(
    rf"(?P<marker>(?i:{MARKER}))[ \t]*(?:"
    rf"(?P<caps>{_CAPS_WORD}(?:[ \t]+(?:{_CAPS_WORD}|{_CAPS_SMALL})){{0,9}})"
    rf"(?:[ \t]*[.:\u2013\u2014-](?=\s)|(?=\s+{MARKER}\s)|(?=\s+[A-Z][a-z]))"
    rf"|(?P<title>[A-Z][\w'\u2019/&-]*(?:[ \t]+{_TITLE_WORD}){{0,7}})[ \t]*[.:](?=\s))",
)


@dataclass(frozen=True)
class Unit:
    """One heading or sentence of a contract: ``text[start:end]``."""

    index: int
    start: int
    end: int
    kind: str  # "heading" | "sentence"
    heading: str  # the title of the section the unit is in ("" before the first one)


def _paragraphs(text: str):
    """(start, end) of each paragraph."""
    cuts = sorted({0, len(text), *(m.start() for m in BLANK.finditer(text)),
                   *(m.start() + 1 for m in NEW_PART.finditer(text))})
    for start, end in itertools.pairwise(cuts):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            yield start, end


def _sentences(text: str, start: int, end: int):
    """(start, end) of each sentence of ``text[start:end]``."""
    begin = start
    for match in SENTENCE_END.finditer(text, start, end):
        stop = match.end()
        if ABBREVIATION.search(text, max(begin, stop - 12), match.start() + 1) and \
                not NEXT_CLAUSE.match(text, stop, end):
            continue
        if stop - begin >= MIN_SENTENCE_CHARS:
            yield begin, stop
            begin = stop
            while begin < end and text[begin].isspace():
                begin += 1
    if end > begin:
        yield begin, end


def _is_heading_line(piece: str) -> bool:
    """A paragraph that is only a title (a heading or a table-of-contents line): few words, no verb-like
    lower-case run, or a clause number alone. A long sentence in capitals ("IN NO EVENT SHALL ...
    DAMAGES.") is a clause, not a title."""
    words = piece.split()
    if NUMBER_ONLY.match(piece) or not words:
        return True
    if len(words) > 14 or piece.rstrip().endswith((",", ";")):
        return False
    if len(words) > 8 and piece.rstrip().endswith(".") and not re.match(MARKER, piece, re.IGNORECASE):
        return False
    lower = sum(1 for w in words if w[:1].islower() and w.lower() not in _SMALL)
    return lower == 0


_SMALL = {"of", "and", "or", "the", "to", "for", "in", "on", "by", "with", "a", "an", "upon", "under"}


# Page furniture: the filing's source line, page numbers, and any line repeated on many pages (a running
# title). It is neither a heading nor part of a sentence.
SOURCE_LINE = re.compile(r"^(?:Source:|Page\s+\d+|-?\s*\d{1,3}\s*-?$|[ivx]{1,4}$)", re.IGNORECASE)
REPEATED = 3


def _joined(text: str, paragraphs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Paragraphs without page furniture, a sentence cut by a page break made whole again."""
    counts: dict[str, int] = {}
    for start, end in paragraphs:
        key = " ".join(text[start:end].split()).casefold()
        counts[key] = counts.get(key, 0) + 1
    kept: list[tuple[int, int]] = []
    after_furniture = False
    for start, end in paragraphs:
        piece = text[start:end]
        if SOURCE_LINE.match(piece) or (counts[" ".join(piece.split()).casefold()] >= REPEATED
                                        and len(piece) < 120):
            after_furniture = True
            continue
        if after_furniture and kept and piece[:1].islower() and \
                text[kept[-1][1] - 1] not in ".:;!?":
            kept[-1] = (kept[-1][0], end)
        else:
            kept.append((start, end))
        after_furniture = False
    return kept


def segment(text: str) -> list[Unit]:
    """The headings and sentences of ``text``, in order."""
    units: list[Unit] = []
    heading = ""

    def add(start: int, end: int, kind: str, title: str | None = None) -> None:
        nonlocal heading
        if title is not None:
            heading = title
        units.append(Unit(len(units), start, end, kind, heading))

    for start, end in _joined(text, list(_paragraphs(text))):
        piece = text[start:end]
        if _is_heading_line(piece):
            heading = " ".join(piece.split())
            add(start, end, "heading")
            continue
        body = start
        title = HEADING.match(piece)
        if title and title.group("title") and _is_heading_line(title.group(0)) and \
                len(title.group("title").split()) <= 10 and title.end() < len(piece):
            heading = " ".join(title.group(0).split()).rstrip(".:-\u2013\u2014 ")
            add(start, start + title.end(), "heading")
            body = start + title.end()
            while body < end and text[body].isspace():
                body += 1
        for sentence_start, sentence_end in _sentences(text, body, end):
            sentence_start = _inline_headings(text, sentence_start, sentence_end, add)
            if sentence_end - sentence_start < 2:
                continue
            piece = text[sentence_start:sentence_end]
            if NUMBER_ONLY.match(piece):
                add(sentence_start, sentence_end, "heading")  # a page number: no title to carry over
            elif len(piece.split()) <= 8 and _is_heading_line(piece) and re.search(r"[A-Za-z]{3}", piece):
                heading = " ".join(piece.split()).rstrip(".:-\u2013\u2014 ")
                add(sentence_start, sentence_end, "heading")
            else:
                add(sentence_start, sentence_end, "sentence")
    return units


def _inline_headings(text: str, start: int, end: int, add) -> int:
    """Take the headings at the start of ``text[start:end]`` off as heading units (a clause number and
    its title, perhaps two: "3. GRANT 3.1 License Granted:"); where the sentence's body starts."""
    while True:
        found = INLINE_HEADING.match(text, start, end)
        if not found:
            break
        title = found.group("caps") or found.group("title")
        stop = found.end()
        while stop < end and text[stop].isspace():
            stop += 1
        if end - stop < MIN_SENTENCE_CHARS or not re.search(r"[A-Za-z]{3}", title):
            break  # the title is the whole sentence, or there is no title: leave it to the caller
        title = " ".join(text[start:found.end()].split()).rstrip(".:-\u2013\u2014, ")
        add(start, found.end(), "heading", title)
        start = stop
    return start
