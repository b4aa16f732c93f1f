"""Deterministic extractors: patterns that find what contracts and notes say in stock phrasing.

They propose values *with the span they read them from*; grounding re-checks every span, the merge
weighs them against the model's answers. Each extractor is one small function per fact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .dates import DateMention, add_duration, date_mentions, reading, writes_day_first
from .grounding import Span


@dataclass
class Proposal:
    """What the deterministic extractors found: data in the schema's shape, and where each leaf is."""

    data: dict
    spans: dict[str, Span] = field(default_factory=dict)
    # Values worked out rather than read (an expiration date from a start and a stated term): the text
    # says no such value, so they have no span and are shown as ungrounded guesses.
    computed: set[str] = field(default_factory=set)

    def put(self, name: str, value, start: int, end: int) -> None:
        self.data[name] = value
        self.spans[f"/{name}"] = Span(start, end, "exact")


def _span(match: re.Match, group: int | str = 0) -> tuple[int, int]:
    return match.start(group), match.end(group)


# --- contracts ---------------------------------------------------------------------------------------
HEAD_CHARS = 4000  # the title, the preamble and its parties live at the top of a contract
PREAMBLE_CHARS = 2500

_TITLE_WORD = r"(?:[A-Z][A-Za-z0-9'\u2019\-]*|[-\u2013]|NO\.\s?\d+|\d+|and|of|for|to|the|&|AND|OF|FOR|TO|THE)"
TITLE = re.compile(
    rf"(?<![\w.])((?:{_TITLE_WORD}[ \t]*,?[ \t]+){{0,10}}?(?:AGREEMENT|Agreement|CONTRACT|Contract))\b"
    # "AMENDMENT NO. 3 TO THE NONEXCLUSIVE VALUE ADDED DISTRIBUTOR AGREEMENT" is named with what it amends
    rf"|(?<![\w.])(AMENDMENT\s+NO\.\s?\d+(?:\s+TO\s+(?:THE\s+)?(?:[A-Z][A-Z'\-]*\s+){{0,8}}?AGREEMENT)?)\b"
)
NOT_TITLE_START = re.compile(r"^(?:this|the|and|of|for|to|&|such|said|that|an?|execution\s+copy|\d+)\b[ \t]*",
                             re.IGNORECASE)
WORD_AND_SPACE = re.compile(r"\S+\s+")
RESTATED = re.compile(r"\b(?:This|THIS)\s+([^\n\"“(]{3,100}?(?:AGREEMENT|Agreement|CONTRACT|Contract))\b")


def _trim_to_restatement(text: str, start: int, end: int) -> int:
    """Headers often run into the title ("...DISCLOSED JOINT SUPPLY AGREEMENT"); the preamble restates
    the real name ("This Joint Supply Agreement"): keep the title's words that the restatement has."""
    restated = RESTATED.search(text, end, min(len(text), end + 600))
    if not restated:
        return start
    title_words, said = text[start:end].split(), restated.group(1).casefold().split()
    if 2 <= len(said) < len(title_words) and [w.casefold() for w in title_words[-len(said):]] == said:
        for _ in range(len(title_words) - len(said)):
            word = WORD_AND_SPACE.match(text, start)
            if word is None:
                break
            start = word.end()
    return start


def document_name(text: str, proposal: Proposal) -> None:
    for match in TITLE.finditer(text, 0, min(len(text), HEAD_CHARS)):
        group = 1 if match.group(1) else 2
        start, end = _span(match, group)
        lead = NOT_TITLE_START.match(text, start, end)
        while lead:
            start = lead.end()
            lead = NOT_TITLE_START.match(text, start, end)
        start = _trim_to_restatement(text, start, end)
        name = text[start:end]
        if len(name.split()) < 2:
            continue  # "Agreement" alone is a reference to the contract, not its title
        proposal.put("document_name", name, start, end)
        kind = re.search(r"AMENDMENT|Amendment|(?:\S+\s+)?(?:AGREEMENT|Agreement|CONTRACT|Contract)$", name)
        if kind:
            proposal.put("document_type", kind.group(0), start + kind.start(), start + kind.end())
        return


# A defined term in brackets: ("Company"), (the “Fund”), (herein referred to as “Principal”),
# (hereinafter called 'Seller'), (collectively, “Constellation”). Typesetting mixes straight and curly
# quotes, and sometimes opens with a closing one (”Bunker One"): any quote opens, any quote closes.
_QUOTE = "\"\u201c\u201d'\u2018\u2019"
DEFINED_TERM = re.compile(
    rf"\(\s*(?:[a-z]+,?\s+){{0,5}}[{_QUOTE}]\s*(?:the\s+)?"
    rf"([A-Za-z][^{_QUOTE}()]{{0,40}}?)\s*[{_QUOTE}]"
)
NOT_PARTY_TERM = re.compile(r"agreement|amendment|date|part(?:y|ies)|act\b|term\b|products?|services?|"
                            r"territory|exhibit|schedule|confidential", re.IGNORECASE)
NAME_START = re.compile(r"\bbetween\b|\bamong\b|\band\b|;|\n\s*\n|:", re.IGNORECASE)
NAME_END = re.compile(r",\s*(?=[a-z(])|\s+\(|\s+(?=(?:with|having|located|whose|organi[sz]ed|incorporated|"
                      r"registered|on behalf|as|a|an|of)\s)|[,\s]+$")
ENTITY_SUFFIX = re.compile(r"\b(?:Inc|LLC|L\.L\.C|Ltd|Limited|Corp|Corporation|Company|Co|AG|S\.A|SA|GmbH|"
                           r"LP|L\.P|plc|PLC|N\.A|Trust|University|Association|Incorporated|Holdings?)\b\.?",
                           re.IGNORECASE)
NAME_CONNECTORS = {"of", "and", "&", "the", "de", "du", "la", "d/b/a", "dba", "f/k/a", "a/k/a"}


NOT_PARTY_NAME = re.compile(r"\n\s*\n|:|\b(?:agreement|amendment|whereas|witness|therefore|section|page|"
                            r"terms)\b",
                            re.IGNORECASE)


def _looks_like_party(name: str) -> bool:
    words = name.split()
    # Numbers after the first word are an address ("2nd Floor", "Suite 300"), not a name ("3M Company").
    if not 1 <= len(words) <= 12 or NOT_PARTY_NAME.search(name) or any(w[:1].isdigit() for w in words[1:]):
        return False
    first = words[0]
    # Brand names may start in lower case (eFashion, theglobe.com), plain words may not (between, and).
    if not first[:1].isalnum() or (first[:1].islower() and not re.search(r"[A-Z.]", first)):
        return False
    if not all(w[:1].isupper() or w is first or w[:1].isdigit() or w.lower() in NAME_CONNECTORS
               or not w[:1].isalpha() for w in words):
        return False
    return bool(ENTITY_SUFFIX.search(name)) or len(words) >= 2


def _name_end(text: str, start: int, paren: int) -> int:
    cut = NAME_END.search(text, start, paren)
    return cut.start() if cut else paren


# A run of capitalised words (with connectors, ", Inc." and the like) that ends where a defined term
# opens: "...the Integrity Short Term Government Fund, (the “Fund”)", "for services of Arnold
# Schwarzenegger (“Endorser”)".
_NAME_WORD = r"(?:[A-Z0-9][\w.'\u2019&\-/]*|of|and|&|de|du|la|d/b/a|dba)"
NAME_RUN_BEFORE = re.compile(rf"((?:[A-Z][\w.'\u2019&\-/]*)(?:(?:\s+|,\s*(?={ENTITY_SUFFIX.pattern}))"
                             rf"{_NAME_WORD}){{0,11}})[\s,]*$")


def _company_form_end(text: str, start: int, end: int) -> int | None:
    """Where the first company form in ``text[start:end]`` ends, with the forms right after it
    ("HOLDING LIMITED", "Company, Inc.")."""
    form_end = None
    for suffix in ENTITY_SUFFIX.finditer(text, start, end):
        if form_end is not None and text[form_end:suffix.start()].strip(" ,"):
            break
        form_end = suffix.end()
    return form_end


def _party_before(text: str, floor: int, paren: int) -> tuple[int, int] | None:
    """The party name that a defined term at ``paren`` names: the name-like run after the last
    boundary (between, and, a blank line…) before it, after the previous party. Addresses between
    a name and its term do not look like names (they have numbers), so the name before them wins;
    a name written on the line above its address ends at that line, one run into it at its company
    form. With no boundary at all, the capitalised run right before the term is the name."""
    window_start = max(floor, paren - 400)
    starts = [window_start] + [m.end() for m in NAME_START.finditer(text, window_start, paren)]
    for start in reversed(starts):
        while start < paren and text[start] in " \t\r\n,)":
            start += 1
        lead = re.match(r"(?:the|THE|The)\s+", text[start:paren])
        if lead and not _looks_like_party(text[start:paren].split(",")[0]):
            start += lead.end()
        end = _name_end(text, start, paren)
        if end > start and _looks_like_party(text[start:end]):
            return start, end
        line_end = text.find("\n", start, end)
        if line_end > start and _looks_like_party(text[start:line_end].rstrip(" ,")):
            return start, start + len(text[start:line_end].rstrip(" ,"))
        # "ORGANIC PREPARATIONS INC. 2nd Floor, Transpacific Haus ...": the name ends at its company form
        form_end = _company_form_end(text, start, end)
        if form_end and _looks_like_party(text[start:form_end]):
            return start, form_end
    run = NAME_RUN_BEFORE.search(text, window_start, paren)
    if run:
        start = run.start(1)
        lead = re.match(r"(?:the|The|THE)\s+", text[start:run.end(1)])
        start += lead.end() if lead else 0
        if _looks_like_party(text[start:run.end(1)]):
            return start, run.end(1)
    return None


PREAMBLE_END = re.compile(r"\b(?:WHEREAS|RECITALS|BACKGROUND|WITNESSETH|NOW,? THEREFORE|TABLE OF CONTENTS|"
                          r"IN WITNESS)\b")


def _parties_in(text: str, start: int) -> tuple[list[dict], dict[str, Span]]:
    found: list[dict] = []
    spans: dict[str, Span] = {}
    floor, seen = start, set()
    limit = min(len(text), start + PREAMBLE_CHARS)
    end = PREAMBLE_END.search(text, start + 50, limit)
    limit = end.start() if end else limit
    for term in DEFINED_TERM.finditer(text, start, limit):
        role = term.group(1).strip()
        if NOT_PARTY_TERM.search(role):
            floor = term.end()
            continue
        name_span = _party_before(text, floor, term.start())
        floor = term.end()
        if name_span is None:
            continue
        name = text[name_span[0]:name_span[1]]
        key = " ".join(name.casefold().split())
        if key in seen:
            continue
        seen.add(key)
        index = len(found)
        found.append({"name": name, "role": role})
        spans[f"/parties/{index}/name"] = Span(*name_span, "exact")
        spans[f"/parties/{index}/role"] = Span(*_span(term, 1), "exact")
        if len(found) == 8:
            break
    return found, spans


# "by and between Freeze Tag Inc., a Delaware corporation, and ...": the preamble's list of parties.
BETWEEN = re.compile(r"\b(?:between|among)\b", re.IGNORECASE)
PREAMBLE_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z])|\n\s*\n|\bWHEREAS\b|\bRECITALS\b")
# "a Delaware corporation" describes a party; "dba Full Sail Brewing Company" is another name of one.
DESCRIBED_AS = re.compile(r"\b(?:a|an|the\s+laws\s+of|existing\s+under|d/?b/?a|doing\s+business\s+as|"
                          r"[fa]/k/a|formerly(?:\s+known\s+as)?)[\s,]+$", re.IGNORECASE)
WITNESS = re.compile(r"IN\s+WITNESS\s+WHEREOF|SIGNATURES?\s*:|AGREED\s+AND\s+ACCEPTED", re.IGNORECASE)
SIGNATURE_LINE = re.compile(r"[ \t]*(?:By|BY)\b")
SIGNATURE_BLOCK_CHARS = 4000


def _party_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.casefold())


def _known(name: str, found: list[dict]) -> bool:
    """The same party written again, or its short form ("ACME INC." for "Acme Inc. d/b/a Roadrunner")."""
    key = _party_key(name)
    return any(key in other or other in key for other in (_party_key(p["name"]) for p in found))


def _own_words(name: str) -> list[str]:
    """The words of a name besides its company forms and connectors."""
    return [w for w in re.findall(r"[\w'\u2019&\-/]+", ENTITY_SUFFIX.sub(" ", name))
            if w.lower() not in NAME_CONNECTORS]


def _company_name(text: str, start: int, end: int) -> bool:
    """A name with a company form and at least one word of its own ("Freeze Tag Inc.", not "the
    Company" or "a Delaware corporation")."""
    name = text[start:end]
    return bool(_own_words(name) and ENTITY_SUFFIX.search(name) and _looks_like_party(" ".join(name.split()))
                and not DESCRIBED_AS.search(text[max(0, start - 30):start]))


def _preamble_companies(text: str, head_start: int) -> list[tuple[int, int]]:
    """Company names listed after "between"/"among" in the preamble's first sentence, whether or not
    a defined term follows them."""
    limit = min(len(text), head_start + PREAMBLE_CHARS)
    between = BETWEEN.search(text, head_start, limit)
    if between is None:
        return []
    stop = PREAMBLE_SENTENCE_END.search(text, between.end(), min(len(text), between.end() + 1200))
    end = stop.start() if stop else min(len(text), between.end() + 1200)
    names, floor = [], between.end()
    for suffix in ENTITY_SUFFIX.finditer(text, between.end(), end):
        run = NAME_RUN_BEFORE.search(text, floor, suffix.end())
        floor = suffix.end()
        if run is None:
            continue
        start = run.start(1)
        # a run that crosses an "and" after another name starts after it
        lead = re.match(r"(?:(?:and|AND|the|The|THE)\s+)+", text[start:suffix.end()])
        start += lead.end() if lead else 0
        if _company_name(text, start, suffix.end()):
            names.append((start, suffix.end()))
    return names


def _signature_companies(text: str) -> list[tuple[int, int]]:
    """Company names that head a signature block: the line (or two lines) ending in a company form
    just above a "By:" line, after "IN WITNESS WHEREOF"."""
    witness = max(WITNESS.finditer(text), key=lambda m: m.start(), default=None)  # the last one
    if witness is None:
        return []
    block = text[witness.end():witness.end() + SIGNATURE_BLOCK_CHARS]
    lines, offset = [], witness.end()
    for line in block.split("\n"):
        lines.append((offset, line))
        offset += len(line) + 1
    names = []
    for index, (start, line) in enumerate(lines):
        following = [other for _, other in lines[index + 1:index + 3]]
        if not line.strip() or not any(SIGNATURE_LINE.match(other) for other in following):
            continue
        candidates = [(start, start + len(line))]
        if index and lines[index - 1][1].strip() and len(_own_words(line)) < 2:
            # "SEATTLE SOFTWARE\nDEVELOPERS, Inc.": a name broken over two lines
            candidates.insert(0, (lines[index - 1][0], start + len(line)))
        for begin, finish in candidates:
            begin += len(text[begin:finish]) - len(text[begin:finish].lstrip())
            finish = begin + len(text[begin:finish].strip().rstrip(":,"))
            ends_in_form = ENTITY_SUFFIX.search(text, max(begin, finish - 16), finish)
            if ends_in_form and _company_name(text, begin, finish):
                names.append((begin, finish))
                break
    return names


def parties(text: str, proposal: Proposal, head_start: int) -> None:
    found, spans = _parties_in(text, head_start)
    if not found:
        # A cover page and a table of contents come first: the preamble restates the title later
        # ("THIS ENDORSEMENT AGREEMENT ... by and between ...").
        for restated in RESTATED.finditer(text, head_start + 1, min(len(text), head_start + 3 * HEAD_CHARS)):
            found, spans = _parties_in(text, restated.start())
            if found:
                break
    # Names without a defined term of their own: listed in the preamble, else (a form whose preamble
    # says only "Distributor, as set forth below") heading the signature blocks.
    for finder in (lambda: _preamble_companies(text, head_start), lambda: _signature_companies(text)):
        for start, end in finder():
            name = " ".join(text[start:end].split())
            if len(found) == 8 or _known(name, found):
                continue
            spans[f"/parties/{len(found)}/name"] = Span(start, end, "exact")
            found.append({"name": name, "role": None})
        if len(found) >= 2:
            break
    for party in found:  # a name broken over lines reads as one line
        party["name"] = " ".join(party["name"].split())
    # In the order the text names them (names found without a term were added last).
    order = sorted(range(len(found)), key=lambda index: spans[f"/parties/{index}/name"].start)
    proposal.data["parties"] = [found[index] for index in order]
    for new_index, index in enumerate(order):
        for part in ("name", "role"):
            span = spans.get(f"/parties/{index}/{part}")
            if span is not None:
                proposal.spans[f"/parties/{new_index}/{part}"] = span


EFFECTIVE_BEFORE = re.compile(r"effective(?:ly)?\s*(?:date)?\s*(?:as\s+of|on|from)?\s*(?:this|the)?\s*:?\s*$",
                              re.IGNORECASE)
EFFECTIVE_AFTER = re.compile(r"^\s*,?\s*\(?\s*(?:the\s+|this\s+)?[\"“]?\s*Effective\s+Date", re.IGNORECASE)
SIGNED_BEFORE = re.compile(r"(?:dated|made|entered\s+into|executed|signed|concluded)\b[^.]{0,40}$",
                           re.IGNORECASE)
EXPIRES_BEFORE = re.compile(r"\b(?:expir\w*|terminat\w*|end(?:s|ing)?|until|through|extended\s+to)\b"
                            r"[^.;]{0,60}$", re.IGNORECASE)
# "until" and "through" end many things (a licence, an exclusivity); only the agreement's term counts.
TERM_WORDS = re.compile(r"\bexpir|\bterminat|\bterm\b|\bperiod\b|effective\s+date|"
                        r"in (?:full )?(?:force|effect)|\bcontinue", re.IGNORECASE)


def _header_line(text: str, mention: DateMention) -> bool:
    line_start = text.rfind("\n", 0, mention.start) + 1
    return "Source:" in text[max(line_start, mention.start - 80):mention.start]


# "...that certain Services Agreement dated as of January 1, 2004": the date of another agreement.
REFERENCED = re.compile(r"(?:that\s+certain|previously|pursuant\s+to|in\s+connection\s+with|amends)\b"
                        r"[^.;]{0,80}$", re.IGNORECASE)


# The agreement's own term, where its end is usually stated: "The term of this Agreement shall commence
# on the Effective Date and continue for a period of two (2) years", "This Agreement shall continue
# until January 18, 2022", "This agreement is for a term of ten (10) years".
TERM_CLAUSE = re.compile(
    r"\b(?:(?:initial\s+)?term\s+of\s+(?:this|the)\s+(?:agreement|[A-Z]\w+)|initial\s+term\b|"
    r"this\s+(?:agreement|[A-Z]{3,})\s+(?:shall|will|is)\s+(?:\w+\s+){0,3}?(?:commence|begin|continue|remain|"
    r"expire|terminate|(?:be\s+)?in\s+(?:full\s+)?(?:force|effect)|for\s+a\s+(?:term|period))|"
    r"[\"“]?contract\s+period[\"”]?\s+shall\s+mean)",
    re.IGNORECASE)
_NUMBER_WORDS = {
    **{word: number for number, word in enumerate((
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
        "twenty"))},
    "thirty": 30, "forty": 40, "fifty": 50, "ninety": 90,
}
DURATION = re.compile(
    r"\b(?:for\s+(?:a|an\s+initial)\s+(?:term|period)\s+of|for|(?:term|period)\s+of|shall\s+be|"
    r"expire|terminate|end)\s+(?:(?P<word>[a-z]+)(?:[\s-]+\w+)?\s*)?\(?(?P<digits>\d{1,3})?\)?\s*"
    r"(?:full\s+|consecutive\s+|calendar\s+)?(?P<unit>years?|months?)\b", re.IGNORECASE)
# The term runs from a stated day ("commencing on January 1, 2016"), else from the effective date.
STARTS_ON = re.compile(r"(?:commenc\w*|begin\w*|start\w*|effective)\s+(?:on|as\s+of|from)?\s*(?:the\s+)?$",
                       re.IGNORECASE)
STARTS_AT_EFFECTIVE = re.compile(r"\b(?:commenc|begin|start|from|effective|date\s+(?:above|hereof|first))",
                                 re.IGNORECASE)
ENDS_BEFORE = re.compile(r"\b(?:expir\w*|terminat\w*|end(?:s|ing)?|until|through|including|later\s+than|"
                         r"extended\s+to|at)\s+(?:on\s+)?(?:the\s+)?$", re.IGNORECASE)


def _term_sentences(text: str):
    for cue in TERM_CLAUSE.finditer(text):
        if _header_line(text, DateMention(cue.start(), cue.end(), "")):
            continue
        starts = [m.end() for m in SENTENCE_END.finditer(text, max(0, cue.start() - 300), cue.start())]
        start = starts[-1] if starts else max(0, cue.start() - 300)
        stop = SENTENCE_END.search(text, cue.end())
        yield start, min(stop.end() if stop else len(text), cue.end() + 500)


def _duration(match: re.Match) -> tuple[int, int] | None:
    number = int(match.group("digits")) if match.group("digits") else _NUMBER_WORDS.get(
        (match.group("word") or "").lower())
    if not number or (match.group("word") or "").lower() not in (*_NUMBER_WORDS, "", "period", "term"):
        return None
    return (number, 0) if match.group("unit").lower().startswith("year") else (0, number)


COMMENCES_ON = re.compile(r"(?:commenc\w*|begin\w*)\s+(?:on|as\s+of)\s*(?:the\s+)?$", re.IGNORECASE)


def _term_commencement(text: str) -> DateMention | None:
    """The day the agreement's term starts when its term clause states one ("The term of the Franchise
    shall be twenty (20) years, commencing on January 1, 2016"): the contract takes effect then."""
    for begin, end in _term_sentences(text):
        for mention in date_mentions(text, begin, end):
            if COMMENCES_ON.search(text[max(begin, mention.start - 40):mention.start]):
                return mention
    return None


def _expiration_from_term(text: str, proposal: Proposal, start_iso: str, start: DateMention | None) -> bool:
    """The expiration date the agreement's term clause states, or computes from its start and length
    (the same day, N years or months on: CUAD's reading of "a term of ten (10) years"). A computed
    date is said nowhere in the text, so it gets no span: it stays an ungrounded, flagged value."""
    for begin, end in _term_sentences(text):
        sentence = text[begin:end]
        mentions = [m for m in date_mentions(text, begin, end) if not _header_line(text, m)]
        for mention in mentions:
            said_before = text[max(begin, mention.start - 40):mention.start]
            if mention.iso > start_iso and ENDS_BEFORE.search(said_before):
                proposal.put("expiration_date", mention.iso, mention.start, mention.end)
                return True
        for length in DURATION.finditer(sentence):
            years_months = _duration(length)
            if years_months is None:
                continue
            stated = [m for m in mentions if STARTS_ON.search(text[max(begin, m.start - 40):m.start])]
            origin = stated[0].iso if stated else (
                start.iso if (start and STARTS_AT_EFFECTIVE.search(sentence)) or (re.search(
                    r"\bis\s+for\s+a\s+term", sentence, re.IGNORECASE) and start) else None)
            if origin:
                proposal.data["expiration_date"] = add_duration(origin, years=years_months[0],
                                                                months=years_months[1])
                proposal.computed.add("/expiration_date")
                return True
            break
    return False


# "...entered into as of the date last written below ("the Effective Date")", "“EFFECTIVE DATE” shall
# mean the date the last party hereto has executed this Agreement": the agreement is dated by its
# last signature, in the signature blocks ("Date: January 22, 2007").
DATED_BY_LAST_SIGNATURE = re.compile(
    r"(?:date|day)\s+(?:last\s+)?(?:written|signed|set\s+forth|executed)\s+below|"
    r"last\s+date\s+(?:signed|of\s+signature|written)\s+below|"
    r"date\s+(?:on\s+which\s+|that\s+)?the\s+last\s+(?:party|of\s+the\s+parties)\s+(?:hereto\s+)?(?:has\s+)?"
    r"(?:executed|signed|signs|executes)", re.IGNORECASE)
EFFECTIVE_DATE_WORDS = re.compile(r"effective\s+date", re.IGNORECASE)
SIGNATURE_DATE_LABEL = re.compile(r"\bDated?\s*:?\s*$")


def _last_signature_date(text: str, head_start: int) -> tuple[DateMention | None, bool]:
    """The last signature's date when the contract takes effect on it (None otherwise), and whether the
    agreement itself is dated by it ("entered into as of the date last written below") rather than only
    its Effective Date."""
    limit = min(len(text), head_start + 4 * HEAD_CHARS)
    said = next((m for m in DATED_BY_LAST_SIGNATURE.finditer(text, head_start, limit)
                 if EFFECTIVE_DATE_WORDS.search(text[max(0, m.start() - 150):m.end() + 150])), None)
    if said is None:
        return None, False
    signatures = [m for m in date_mentions(text) if not _header_line(text, m)
                  and SIGNATURE_DATE_LABEL.search(text[max(0, m.start - 12):m.start])]
    dates_agreement = bool(SIGNED_BEFORE.search(text[max(0, said.start() - 60):said.start()]))
    return max(signatures, key=lambda m: m.iso, default=None), dates_agreement


def contract_dates(text: str, proposal: Proposal, head_start: int) -> None:
    head = [m for m in date_mentions(text, head_start, min(len(text), head_start + PREAMBLE_CHARS))
            if not _header_line(text, m) and not REFERENCED.search(text[max(0, m.start - 100):m.start])]
    signed, effective = [], []
    for mention in head:
        before = text[max(0, mention.start - 60):mention.start]
        after = text[mention.end:mention.end + 40]
        if EFFECTIVE_BEFORE.search(before[-30:]) or EFFECTIVE_AFTER.search(after):
            effective.append(mention)
        if SIGNED_BEFORE.search(before):
            signed.append(mention)
    agreement = next(iter(signed or [m for m in head if m not in effective] or head), None)
    if not signed and not effective:
        last_signed, dates_agreement = _last_signature_date(text, head_start)
        if last_signed is not None:
            effective = [last_signed]
            agreement = last_signed if dates_agreement or agreement is None else agreement
    if not effective:
        commencement = _term_commencement(text)
        effective = [commencement] if commencement else []
    if agreement:
        proposal.put("agreement_date", agreement.iso, agreement.start, agreement.end)
    if effective:
        proposal.put("effective_date", effective[0].iso, effective[0].start, effective[0].end)
    start_iso = max((m.iso for m in (agreement, *effective[:1]) if m), default="")
    if _expiration_from_term(text, proposal, start_iso, effective[0] if effective else agreement):
        return
    for mention in date_mentions(text):
        before = text[max(0, mention.start - 80):mention.start]
        about = text[max(0, mention.start - 120):mention.start]
        if (mention.iso > start_iso and EXPIRES_BEFORE.search(before) and TERM_WORDS.search(about)
                and not _header_line(text, mention)):
            proposal.put("expiration_date", mention.iso, mention.start, mention.end)
            break


GOVERNING = re.compile(r"\bgovern\w*|\bconstru\w*", re.IGNORECASE)
JURISDICTION = re.compile(
    r"\b[Ll]aws?\s+(?:in\s+force\s+in\s+|of\s+)(?:the\s+)?(?:(?:State|Commonwealth|Province)\s+of\s+)?"
    r"((?!United States\b)[A-Z][\w'\u2019]*(?:\s+(?:of\s+)?[A-Z][\w'\u2019]*){0,4})"
)


def governing_law(text: str, proposal: Proposal) -> None:
    for keyword in GOVERNING.finditer(text):
        match = JURISDICTION.search(text, keyword.start(), min(len(text), keyword.end() + 250))
        if match:
            proposal.put("governing_law", match.group(1), *_span(match, 1))
            return


SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\bNo)(?<!\bInc)[.;](?=\s)|\n\s*\n")
CLAUSE_MAX_CHARS = 500
CLAUSES = {
    "renewal_term": r"\b(?:automatically\s+)?renew(?:al|ed|s)?\b",
    "notice_period_to_terminate_renewal": r"\bnotice\b[^.]{0,120}\b(?:non-?renewal|not\s+to\s+renew)",
    "termination_for_convenience": r"\bterminat\w+[^.]{0,80}\b(?:for\s+convenience|without\s+cause|"
                                   r"for\s+any\s+reason)",
    "payment_terms": r"\b(?:shall\s+pay|payments?\s+(?:shall|will)\s+be\s+(?:made|due)|net\s+\d+\s+days)",
    "liability_cap": r"\b(?:in\s+no\s+event[^.]{0,120}liab|liability[^.]{0,80}(?:shall\s+not\s+exceed|"
                     r"limited\s+to))",
    "confidentiality": r"\b(?:confidential\s+information\b[^.]{0,120}\b(?:shall|will|agrees?)|"
                       r"(?:keep|hold|maintain)[^.]{0,40}\bconfiden)",
    "assignment": r"\b(?:(?:shall|may)\s+not\s+(?:be\s+)?assign|"
                  r"assign\w*[^.]{0,100}\bwithout\b[^.]{0,60}consent)",
    "non_compete": r"\bnon-?compet\w*|\bshall\s+not[^.]{0,80}\bcompet\w*",
    "exclusivity": r"(?<![-\w])exclusive\s+(?:right|licen[cs]e|distribut\w+|basis|supplier|provider)",
}


def clause(text: str, proposal: Proposal, name: str, pattern: str) -> None:
    match = re.search(pattern, text, re.IGNORECASE)
    if not match:
        return
    starts = [m.end() for m in SENTENCE_END.finditer(text, max(0, match.start() - CLAUSE_MAX_CHARS),
                                                      match.start())]
    start = starts[-1] if starts else max(0, match.start() - CLAUSE_MAX_CHARS // 2)
    stop = SENTENCE_END.search(text, match.end())
    end = min(stop.end() if stop else len(text), start + CLAUSE_MAX_CHARS)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    proposal.put(name, text[start:end], start, end)


def contract(text: str, empty: dict) -> Proposal:
    proposal = Proposal(dict(empty))
    document_name(text, proposal)
    title = proposal.spans.get("/document_name")
    head_start = title.start if title else 0
    parties(text, proposal, head_start)
    contract_dates(text, proposal, head_start)
    governing_law(text, proposal)
    for name, pattern in CLAUSES.items():
        clause(text, proposal, name, pattern)
    return proposal


# --- clinical notes ----------------------------------------------------------------------------------
# What the rules know of clinical notes was written on our own synthetic notes (fixtures/
# clinical_extraction: notes.jsonl and notes_b.jsonl; notes_c.jsonl is held out) and on general clinical
# vocabulary. Every value keeps the span it was read from; identifiers are removed later (extraction/phi.py).
NOTE_TYPE = re.compile(r"\b(discharge summary|progress note|history and physical|h&p|consultation(?: note)?|"
                       r"operative (?:note|report)|emergency department note|clinic note|office visit|"
                       r"admission note|procedure note|referral letter|telehealth visit)\b", re.IGNORECASE)
# Words that make a note's first lines its title ("ICU DAILY PROGRESS NOTE", "Referral letter").
TITLE_WORD = re.compile(r"\b(?:note|summary|letter|visit|report|assessment|consultation|consult|referral|"
                        r"history and physical|h&p|follow[- ]?up|review|evaluation)\b", re.IGNORECASE)
# A letter's salutation or reference line is no title, whatever words it has.
NOT_TITLE = re.compile(r"[ \t]*(?:dear|re\b|to\b|from\b|thank|cc\b|attn)", re.IGNORECASE)
# What follows a title before its date: "telehealth visit 28th of November 2024".
TITLE_TAIL = re.compile("[\\s\\-\u2013/]*(?:(?<!\\w)(?:of|on|dated))?[\\s\\-\u2013/]*$", re.IGNORECASE)
# A labelled line: "Date of Admission: ...", "Admitted: ...", "Date: ...", "DOS ...".
_LINE_LABEL = re.compile(r"(?im)^[ \t]*(?:[\w&/.'()-]+[ \t]+){0,4}?(?:date(?:[ \t]+of[ \t]+\w+)?|admitted|"
                         r"admission|dos|seen|arrival|arrived)[ \t]*(?::|[ \t]-)?[ \t]*")
SPECIFIC_LABEL = re.compile(r"admi|visit|service|encounter|consult|clinic|procedure|surgery|operation|seen|"
                            r"arriv|\bdos\b|exam", re.IGNORECASE)
# What a labelled date must not be: a birth, a discharge, the day a letter was typed or signed.
_NOT_ENCOUNTER = re.compile(r"birth|dob|d\.o\.b|born|discharg|typed|dictated|transcribed|signed|printed|"
                            r"report(?:ed)?|result|letter|next|follow|review|due|expir|onset|last|previous|prior",
                            re.IGNORECASE)
# In prose: "saw the above patient in my practice on", "admitted on", "seen today", "visit".
ENCOUNTER = re.compile(r"(?:date\s+of\s+(?:service|visit|encounter|admission|consultation|procedure)|"
                       r"(?:visit|encounter|admission|service|consultation|procedure)\s+date|"
                       r"admitted(?:\s+\w+){0,4}?\s+on|\badmitted|(?:seen|saw)\s+(?:\w+\s+){0,6}?on|\bDOS|"
                       r"\bvisit(?:\s+on)?)\s*:?\s*", re.IGNORECASE)
# "first admitted on", "previously seen on": the history, not this encounter.
PAST = re.compile(r"(?:first|previously|prior|last|earlier|originally|initially)\W{1,3}(?:\w+\W{1,3}){0,1}$",
                  re.IGNORECASE)
BIRTH = re.compile(r"(?:\bDOB|\bD\.O\.B|birth|\bborn)\W{0,3}(?:\w+\W{1,3}){0,2}$", re.IGNORECASE)

_CODE = r"[A-TV-Z][0-9][0-9AB](?:\.[0-9A-Z]{1,4})?"
# An ICD-10 code as notes write it: "(E11.9)", "[K35.80]", "(ICD-10: G47.33)", "ICD-10 J45.30", "- I10",
# "Code: E10.9".
CODE_UNIT = re.compile(rf"[(\[]?[ \t]*(?:(?i:ICD-?10(?:-CM)?|code)[ \t]*:?[ \t]*)?(?<![\w.])({_CODE})"
                       r"(?![\w.])[ \t]*[)\]]?")
# Where a diagnosis written before its code begins: a line start, a bullet, a label, a clause boundary.
_DX_LEFT_STOP = re.compile(r"(?:^|[\n;:]|\.[ \t]|\)|\]|\b(?:are|is|and|include[sd]?|including)[ \t])")
_BULLET = re.compile(r"[ \t]*(?:[-*•#]|\d+[.)])?[ \t]*")
# A heading whose lines are diagnoses: "Diagnoses:", "DISCHARGE DIAGNOSES:", "Active problems:", "Dx:".
DX_HEADING = re.compile(r"(?im)^[ \t]*(?:(?:discharge|admission|admitting|final|principal|secondary|working|"
                        r"active|current)[ \t]+)?(?:diagnos[ie]s|problems?(?:[ \t]+list)?|"
                        r"assessment(?:[ \t]*(?:and|&|/)[ \t]*plan)?|a(?:/p)?|impression|dx|"
                        r"reason[ \t]+for[ \t]+(?:admission|referral))"
                        r"[ \t]*:[ \t]*(.*)$")
# Prose before a coded condition: "a 95-year-old woman admitted with ..." keeps what follows "with".
_DX_LEAD_IN = re.compile(r".*\b(?:(?:admitted|presented|presenting|presents|diagnosed|treated|seen|known)"
                         r"[ \t]+(?:\w+[ \t]+){0,3}?(?:with|for|of)|(?:background|history|hx)[ \t]+of|"
                         r"\d+[ \t-]?(?:yo|y/o|year[ -]old)\b.*?\bwith)[ \t]+", re.IGNORECASE)
_DX_COMMENT = re.compile("[ \t][-\u2013][ \t]|:[ \t]")
# "1) HTN 2) DM2": numbered items run on one line.
_RUN_ON_ITEM = re.compile(r"[^;]+?(?=[ \t]+\d{1,2}[.)][ \t]|;|$)")
# "known gout.", "known chronic kidney disease stage 3." in dictated prose.
KNOWN_CONDITION = re.compile(r"(?<!no )\bknown[ \t]+(?!(?:drug[ \t]+)?allerg|to\b|case\b|history\b)"
                             r"([a-z][a-z0-9 ,'\-]{2,60}?)[ \t]*(?=[.;\n])", re.IGNORECASE)
_NOT_CONDITION = re.compile(r"^(?:none|nil|n/?a|same|see|plan|as above|stable|unchanged|continue|follow)\b|"
                            r"\d+(?:\.\d+)?[ \t]*(?:mg|mcg|g|ml|units?)\b", re.IGNORECASE)

_SALT = (r"(?:[ \t]+(?:sulfate|sulphate|tartrate|succinate|glargine|lispro|aspart|detemir|sodium|potassium|"
         r"hydrochloride|HCl|chloride|carbonate|citrate|phosphate|acetate|maleate|besylate|mesylate|"
         r"fumarate|bromide|acid|XL|ER|SR|CR|MR))?")
DOSE = r"\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?[ \t]*(?:mg|mcg|µg|ug|g|mL|ml|units?|IU|IE|mEq|mmol)(?![\w/])"
ROUTE = (r"PO|IV|IM|SC|SQ|SL|PR|NG|INH|subcut|subcutaneous(?:ly)?|oral(?:ly)?|by mouth|per os|topical(?:ly)?|"
         r"inhaled|intravenous(?:ly)?|intramuscular(?:ly)?|sublingual(?:ly)?|transdermal|nebuli[sz]ed|"
         r"per rectum|rectal(?:ly)?")
FREQUENCY = (r"(?:once|twice|three times|four times)[ \t]+(?:a[ \t]+)?(?:daily|day)|daily|BID|TID|QID|QAM|"
             r"QPM|QHS|QD|qday|q\d+[ \t]?(?:h|hr|hrs|hours|min)|every[ \t]+\d+[ \t]+hours|at bedtime|nightly|"
             r"every night|every morning|once weekly|weekly|monthly|every other day|as needed|PRN|stat|od|bd|"
             r"tds|tid|qds|nocte|mane|once|"
             r"\d-\d-\d(?:-\d)?")
# A medication: name, dose, then route and frequency when written; "|" separates a table's cells.
MEDICATION = re.compile(
    rf"(?<![\w/])([A-Za-z][A-Za-z\-]{{2,30}}{_SALT}{_SALT})(?:[ \t]+|[ \t]*\|[ \t]*)({DOSE})"
    rf"(?:[ \t]+(?:tablets?|tabs?|capsules?|caps?)\b)?"  # "10 mg tablet by mouth daily"
    rf"(?:[ \t]*\|?[ \t]*Sig:)?"  # an EHR list's instructions: "75 MG | Sig: by mouth daily"
    rf"(?:(?:[ \t]+|[ \t]*\|[ \t]*)({ROUTE})(?![\w]))?"
    rf"(?:(?:[ \t]+|[ \t]*\|[ \t]*)((?:{FREQUENCY})(?:[ \t]+(?:PRN|as needed|with meals))?)(?![\w-]))?",
    re.IGNORECASE)
# Words before a dose that are not a drug: "rx", "take", a lab's name when a unit looks like a dose.
_NOT_DRUG = re.compile(r"^(?:rx|take|takes|taking|given|give|on|of|and|with|then|dose|total|was|is|increase|"
                       r"decrease|reduce|start|started|stop|stopped|continue|plus|via|last|approximately|about|"
                       r"around|received|receiving|prescribed|using|additional|extra|another|maximum|max|up|to|"
                       r"than|over|under|ebl|loss|blood|urine|fluids?|output|intake|bolus|glucose|hemoglobin|"
                       r"haemoglobin|hb|hgb|albumin|protein)$", re.IGNORECASE)
# Two-letter abbreviations only as written in capitals: "mg 2" is a dose, "Mg 2.0" a result.
_LAB_NAMES = (r"Hemoglobin|Haemoglobin|Hgb|(?-i:Hb|Plt|Hct|Na|K|Cl|Cr|Mg)|Sodium|Potassium|Creatinine|"
              r"Glucose|HbA1c|A1c|WBC|TSH|INR|BNP|NT-proBNP|LDL|HDL|Platelets|ALT|AST|ALP|GGT|BUN|Troponin|Lactate|"
              r"CRP|ESR|Chloride|Bicarbonate|Albumin|Calcium|Magnesium|Phosphate|Lipase|Amylase|eGFR|Ferritin|"
              r"Vitamin[ \t]+B12|Vitamin[ \t]+D|Folate|Bilirubin|Cholesterol|Triglycerides|D-dimer|PSA|"
              r"Urea|WCC|Ethanol|ANC|LDH|CK")
LAB_UNIT = (r"g/dL|mg/dL|mmol/L|mmol/mol|mEq/L|µmol/L|umol/L|µg/L|ug/L|µg/mL|10\^9/L|x\s?10\^9/L|"
            r"10\^12/L|mIU/L|mU/L|IU/L|pg/mL|ng/mL|ng/L|pmol/L|U/L|mg/L|g/L|K/uL|mL/min(?:/1\.73\s?m2)?|fL|%")
# A laboratory result: a known test, its value and its unit, in prose, lists or a table's cells.
LAB = re.compile(rf"(?<![\w-])((?:{_LAB_NAMES})(?:[ \t]+(?-i:[IT])(?!\w))?)(?![\w-])[ \t:=|]*"
                 rf"(?:[<>]=?[ \t]*)?(\d+(?:\.\d+)?)"
                 rf"(?:[ \t|]*({LAB_UNIT})(?![\w/]))?", re.IGNORECASE)
ALLERGIES = re.compile(r"(?im)\b(?:known[ \t]+)?allergies(?:[ \t]*/[ \t]*\w+)?[ \t]*:[ \t]*([^.\n]+)|"
                       r"\ballergic[ \t]+to[ \t]+([^.\n]+)")
NO_ALLERGY = re.compile(r"^(?:NKDA|NKA|none|nil|no known|no allergies)", re.IGNORECASE)
# Each vital sign: (label as written)(value)(unit, when written).
VITALS = [
    r"\b(BP|blood pressure)[ \t:]*(\d{2,3}/\d{2,3})[ \t]*(mmHg)?",
    r"\b(HR|heart rate|pulse)[ \t:]*(\d{2,3})[ \t]*(bpm|/min)?",
    r"\b(T|temp|temperature)[ \t:]*(\d{2,3}(?:\.\d)?)[ \t]*(°?[CF])?\b",
    r"\b(RR|resp(?:iratory)? rate)[ \t:]*(\d{1,2})[ \t]*(/min)?",
    r"\b(SpO2|O2 sat\w*|oxygen saturation)[ \t:]*(\d{2,3})[ \t]*(%)?",
]
FOLLOW_UP = re.compile(r"(?im)^[ \t]*(?:follow[- ]?up|f/u|plan)[ \t]*:[ \t]*(.+)$")
SIGN_OFF = re.compile(r"\b(?:signed|electronically signed|call|tel(?:ephone)?|phone|contact)\b|"
                      r"\+?\(?\d[\d ()-]{7,}\d", re.IGNORECASE)


def _record(proposal: Proposal, array: str, values: dict[str, tuple[str, int, int] | None]) -> None:
    items = proposal.data.setdefault(array, [])
    index = len(items)
    item = {}
    for key, found in values.items():
        item[key] = found[0] if found else None
        if found:
            proposal.spans[f"/{array}/{index}/{key}"] = Span(found[1], found[2], "exact")
    items.append(item)


def _group(match: re.Match, group: int) -> tuple[str, int, int] | None:
    return (match.group(group), *_span(match, group)) if match.group(group) else None


SEPARATORS = " \t-\u2013:,;.#*\u2022"


def _trimmed(text: str, start: int, end: int, strip: str = SEPARATORS) -> tuple[str, int, int] | None:
    """``text[start:end]`` without the separators around it, with its span; None when nothing is left."""
    while start < end and text[start] in strip:
        start += 1
    while end > start and text[end - 1] in strip:
        end -= 1
    return (text[start:end], start, end) if end > start else None


def _note_type(text: str) -> tuple[str, int, int] | None:
    """The note's title (one of its first lines: "ICU DAILY PROGRESS NOTE" gives "PROGRESS NOTE", a
    title without a known kind is kept whole, less a date in it), else a known kind near the top."""
    offset = 0
    for count, line in enumerate(text[:600].split("\n")):
        start, offset = offset, offset + len(line) + 1
        if count >= 4:
            break
        if (not line.strip() or ":" in line or "," in line or len(line.strip()) > 60
                or not TITLE_WORD.search(line) or NOT_TITLE.match(line)):
            continue
        known = NOTE_TYPE.search(line)
        if known:
            return known.group(1), start + known.start(1), start + known.end(1)
        dated = date_mentions(line)
        title = TITLE_TAIL.sub("", line[:dated[0].start] if dated else line)
        return _trimmed(text, start, start + len(title))
    kind = NOTE_TYPE.search(text, 0, min(len(text), 600))
    return (kind.group(1), *_span(kind, 1)) if kind else None


def _date_after(text: str, at: int) -> DateMention | None:
    mentions = date_mentions(text, at, min(len(text), at + 40))
    return mentions[0] if mentions and mentions[0].start - at < 5 else None


def _encounter_date(text: str) -> DateMention | None:
    """The visit or admission date: first a line labelled as such ("Date of Admission:", "Admitted:",
    "Date:"), then what the prose says ("saw ... on", "visit"), else the first date near the top; never
    a birth, a discharge, the day a letter was typed, or a date the history mentions ("first admitted")."""
    labelled = [label for label in _LINE_LABEL.finditer(text) if not _NOT_ENCOUNTER.search(label.group(0))]
    # A label that says which date ("Admission date", "Date of service", "Seen") before a bare "Date:",
    # which may be the day a letter was written.
    for label in sorted(labelled, key=lambda label: SPECIFIC_LABEL.search(label.group(0)) is None):
        found = _date_after(text, label.end())
        if found:
            return found
    for label in ENCOUNTER.finditer(text):
        before = text[max(0, label.start() - 30):label.start()]
        if PAST.search(before) or BIRTH.search(before) or _NOT_ENCOUNTER.search(label.group(0)):
            continue
        found = _date_after(text, label.end())
        if found:
            return found
    for mention in date_mentions(text, 0, min(len(text), 600)):
        line_start = text.rfind("\n", 0, mention.start) + 1
        before = text[max(line_start, mention.start - 30):mention.start]
        if not BIRTH.search(before) and not _NOT_ENCOUNTER.search(before):
            return mention
    return None


def _condition(written: str) -> bool:
    """Whether a line or phrase can name a condition: a few letters ("HTN", "DM2"), not a dose or a
    placeholder ("none", "same"), not a paragraph."""
    return (len(written) <= 100 and len(written.split()) <= 12 and len(re.findall(r"[A-Za-z]", written)) >= 2
            and not _NOT_CONDITION.search(written))


def _diagnoses(text: str) -> list[tuple[tuple[str, int, int], tuple[str, int, int] | None]]:
    """(description, ICD-10 code or None) with their spans: every condition written with a code (before
    or after it), then the uncoded lines under a diagnosis heading and "known <condition>" in prose."""
    found: list[tuple[tuple[str, int, int], tuple[str, int, int] | None]] = []
    codes: set[str] = set()
    covered: list[tuple[int, int]] = []
    for unit in CODE_UNIT.finditer(text):
        code = unit.group(1)
        after = text[unit.end():unit.end() + 12]
        bracketed = unit.group(0).lstrip()[:1] in "([" or re.search("icd|code", unit.group(0), re.IGNORECASE)
        if not bracketed and (re.match(r"[ \t]*(?:\d|[A-Za-z]*/)", after) or (
                "." not in code and not re.match("[ \t]*(?:$|\n|[-\u2013:;,])", after))):
            continue  # "Vitamin B12 98 pmol/l": a name with a number in it, not a code
        if code in codes:
            continue
        line_start = text.rfind("\n", 0, unit.start()) + 1
        left = line_start
        for stop in _DX_LEFT_STOP.finditer(text, line_start, unit.start()):
            left = max(left, stop.end())
        left = max([left, *(end for start, end in covered if line_start <= end <= unit.start())])
        left += len(_BULLET.match(text, left).group(0))  # type: ignore[union-attr]
        lead_in = _DX_LEAD_IN.match(text, left, unit.start())
        description = _trimmed(text, lead_in.end() if lead_in else left, unit.start())
        if description and len(description[0].split()) > 8 and " with " in description[0]:
            # a sentence that ends in its condition: "was admitted to the ward on ... with <condition>"
            cut = description[1] + description[0].rindex(" with ") + len(" with ")
            description = _trimmed(text, cut, description[2])
        if description is None or len(re.findall(r"[A-Za-z]", description[0])) < 2:
            line_end = text.find("\n", unit.end())
            line_end = len(text) if line_end < 0 else line_end
            closing = re.search(r"[;(\[]|\.[ \t]|\.$", text[unit.end():line_end])
            description = _trimmed(text, unit.end(), unit.end() + closing.start() if closing else line_end)
        if description is None or not _condition(description[0]):
            continue
        codes.add(code)
        covered.append(unit.span())
        found.append((description, (code, *unit.span(1))))
    spans = [d[0][1:] for d in found]
    for heading in DX_HEADING.finditer(text):
        lines = [(heading.start(1), heading.end(1))] if heading.group(1).strip() else []
        at = heading.end() + 1
        while at < len(text):
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            line = text[at:end]
            if not line.strip() or (re.match(r"[ \t]*[A-Za-z][\w /&()-]{0,40}:", line) and
                                    not _BULLET.match(line).group(0).strip()):  # type: ignore[union-attr]
                break
            lines.append((at, end))
            at = end + 1
        for start, end in lines:
            for part in _RUN_ON_ITEM.finditer(text[start:end]) if start == heading.start(1) else [None]:
                lo, hi = (start + part.start(), start + part.end()) if part else (start, end)
                lo += len(_BULLET.match(text, lo).group(0))  # type: ignore[union-attr]
                comment = _DX_COMMENT.search(text, lo, hi)
                hi = comment.start() if comment else hi  # "COPD exacerbation - prednisone ...": the plan
                lead_in = _DX_LEAD_IN.match(text, lo, hi)
                item = _trimmed(text, lead_in.end() if lead_in else lo, hi)
                if item is None or any(a < item[2] and item[1] < b for a, b in spans):
                    continue
                if not _condition(item[0]):
                    continue
                spans.append(item[1:])
                found.append((item, None))
    for known in KNOWN_CONDITION.finditer(text):
        item = _trimmed(text, *known.span(1))
        if item and _condition(item[0]) and not any(a < item[2] and item[1] < b for a, b in spans):
            spans.append(item[1:])
            found.append((item, None))
    return found


def clinical_note(text: str, empty: dict) -> Proposal:
    lists: dict[str, list] = {name: [] for name in ("diagnoses", "medications", "allergies", "vitals",
                                                    "labs")}
    proposal = Proposal({**empty, **lists})
    kind = _note_type(text)
    if kind:
        proposal.put("note_type", *kind)
    encounter = _encounter_date(text)
    if encounter:
        # 05/03/2024 in a note that writes its dates day first is 5 March (dates.writes_day_first)
        written = text[encounter.start:encounter.end]
        iso = reading(written, day_first=writes_day_first(text)) or encounter.iso
        proposal.put("encounter_date", iso, encounter.start, encounter.end)
    for description, code in _diagnoses(text):
        _record(proposal, "diagnoses", {"description": description, "icd10": code})
    labs = list(LAB.finditer(text))
    drugs = []
    for match in MEDICATION.finditer(text):
        if _NOT_DRUG.match(match.group(1).split()[0]) or any(lab.start() <= match.start() < lab.end()
                                                             for lab in labs):
            continue
        drugs.append(match.span())
        _record(proposal, "medications", {"name": _group(match, 1), "dose": _group(match, 2),
                                          "route": _group(match, 3), "frequency": _group(match, 4)})
    for match in labs:
        if any(start <= match.start() < end for start, end in drugs):
            continue  # "potassium chloride 20 mEq" is a drug, not a chloride result
        _record(proposal, "labs", {"name": _group(match, 1), "value": _group(match, 2),
                                   "unit": _group(match, 3)})
    for allergies in ALLERGIES.finditer(text):
        group = 1 if allergies.group(1) is not None else 2
        for item in re.finditer(r"(?:[^,;(]|\([^)]*\))+", allergies.group(group)):
            # The allergen, not the reaction: "penicillin (rash, 1987)", "latex - hives".
            stripped = re.sub(r"[ \t]*(?:\([^)]*\)?|[ \t][-\u2013][ \t].*)$", "", item.group(0)).strip()
            if stripped and not NO_ALLERGY.match(stripped) and stripped not in proposal.data["allergies"]:
                start = item.start() + item.group(0).index(stripped) + allergies.start(group)
                proposal.spans[f"/allergies/{len(proposal.data['allergies'])}"] = Span(
                    start, start + len(stripped), "exact")
                proposal.data["allergies"].append(stripped)
    for pattern in VITALS:
        vital = re.search(pattern, text, re.IGNORECASE)
        if vital:
            _record(proposal, "vitals", {"name": _group(vital, 1), "value": _group(vital, 2),
                                         "unit": _group(vital, 3)})
    follow = FOLLOW_UP.search(text)
    if follow:
        # The plan, not how to reach the clinic or who signed: stop before a phone number or a sign-off.
        end = follow.end(1)
        contact = SIGN_OFF.search(text, follow.start(1), end)
        kept = _trimmed(text, follow.start(1), contact.start() if contact else end, " \t,;:-")
        if kept:
            proposal.put("follow_up", *kept)
    return proposal


EXTRACTORS: dict[str, Callable[[str, dict], Proposal]] = {
    "contract": contract, "clinical_note": clinical_note,
}

# --- checks on a model's answers ----------------------------------------------------------------------
# A grounded span proves the text says the words, not that the words answer the question ("1940 Act"
# is in the text, but it is not the governing law). A model's value is kept only where its
# surroundings say what the field is about.
CONTEXT_CHARS = 300
TITLE_WORDS = re.compile(r"agreement|amendment|contract|licen[cs]e|lease|addendum|statement|order|memorandum|"
                         r"plan|terms|note|summary|report|consultation|history", re.IGNORECASE)
FIELD_CONTEXT = {
    "governing_law": re.compile(r"laws?|govern", re.IGNORECASE),
    "expiration_date": re.compile(r"expir|terminat|until|through|\bterm\b|\bend", re.IGNORECASE),
    "effective_date": re.compile(r"effective|commenc", re.IGNORECASE),
    **{name: re.compile(pattern, re.IGNORECASE) for name, pattern in CLAUSES.items()},
}


# A note names drugs among its medications and tests in its plan; a small model asked for allergies or
# results when the rules found none tends to list those (seen on our tune notes: allergies the note never
# states). An allergy is believed where the note speaks of allergies or reactions near it, a result
# where a value follows the test's name on its line ("Hb 12.1 g/dL", "Creatinine (mg/dL): 1.2").
ALLERGY_CONTEXT = re.compile(r"allerg|intoleran|\bNKDA\b|\bNKA\b|adverse|reaction|sensitivit|anaphyla",
                             re.IGNORECASE)
LAB_VALUE_AFTER_NAME = re.compile(r"[^\n\d]{0,40}?\d")


# Where a note's section starts: a label ("Allergies:", "Medications:") or a heading line in capitals.
SECTION_START = re.compile(r"(?m)^[ \t]*(?:[A-Za-z][A-Za-z /&()-]{1,40}:|[A-Z][A-Z /&-]{2,40}$)")


def _speaks_of_allergy(text: str, span: Span) -> bool:
    """Whether the words leading to ``span`` (from its section's label, or the sentence before it in
    prose) or the rest of its line speak of allergies: "Medications: amoxicillin" does not, however
    close the next line's "Allergies:" is."""
    before = text[max(0, span.start - 300):span.start]
    sections = list(SECTION_START.finditer(before))
    lead = before[sections[-1].start():] if sections else before[-150:]
    line_end = text.find("\n", span.end)
    rest_of_line = text[span.end:line_end if line_end != -1 else len(text)]
    return bool(ALLERGY_CONTEXT.search(lead) or ALLERGY_CONTEXT.search(rest_of_line))


def _clinical_plausible(field_name: str, value, text: str, span: Span | None) -> bool:
    if field_name == "allergies":
        if isinstance(value, str) and NO_ALLERGY.match(value.strip()):  # "NKDA", "no known allergies"
            return False
        return span is not None and _speaks_of_allergy(text, span)
    if field_name == "labs":
        return span is not None and bool(LAB_VALUE_AFTER_NAME.match(text, span.end))
    return True


def plausible(schema_name: str, field_name: str, value, text: str, span: Span | None) -> bool:
    """Whether a model's value for ``field_name``, found at ``span`` (None: not found), can be the
    answer. Values whose field needs context to be believed are refused when they are not found."""
    if schema_name == "clinical_note":
        return _clinical_plausible(field_name, value, text, span)
    if schema_name != "contract":
        return True
    if field_name in ("document_name", "document_type"):
        return bool(TITLE_WORDS.search(str(value)))
    if field_name == "parties":
        return isinstance(value, str) and _looks_like_party(value)
    if span is None:
        return False
    if field_name == "governing_law":
        return bool(re.search(r"\blaws?\b|govern", text[max(0, span.start - 100):span.end], re.IGNORECASE))
    pattern = FIELD_CONTEXT.get(field_name)
    around = text[max(0, span.start - CONTEXT_CHARS):span.end + CONTEXT_CHARS]
    return pattern is None or bool(pattern.search(around))


def propose(schema_name: str, text: str, empty: dict) -> Proposal | None:
    """What the deterministic extractors say about ``text``; None for schemas they do not know."""
    extractor = EXTRACTORS.get(schema_name)
    return extractor(text, empty) if extractor else None
