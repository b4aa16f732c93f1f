# ruff: noqa: E501  (patterns and word lists read better unbroken)
"""Names known from public name lists, in any case where the words around say a person is meant, and
lists of people.

The lists (``docintel.redaction.lexicons``): first and last names of 48 locales and the US Census,
English and medical vocabulary (MeSH, drugs), GeoNames towns. A token is
- a *name* when a list holds it as a name and it is no ordinary word ("Jacob", "Verda" is not listed);
- *ambiguous* when it is both ("Will", "Rose", "Brown", "Smith"): a name only beside another name part;
- a *word* when the dictionary or the medical vocabulary knows it ("Findings", "Apixaban").
"""

from __future__ import annotations

import regex

from docintel.redaction.lexicons import fold, lexicon

from .base import Recognizer

TOKEN = r"\p{Lu}(?:\p{Ll}+|\p{Lu}+)(?:[-'\u2019]\p{Lu}?\p{L}+)*|\p{Lu}['\u2019]\p{Lu}\p{Ll}+|\p{Lu}\.?"
PARTICLES = r"(?:van|von|der|den|de|la|le|del|della|da|di|du|dos|das|do|ten|ter|te|op|a|an|bin|ibn|al|y|e|zu|af|av)"
PARTICLE_WORDS = frozenset(["van", "von", "der", "den", "de", "la", "le", "del", "della", "da", "di", "du", "dos", "das", "do", "ten", "ter", "te", "op", "an", "bin", "ibn", "al", "zu", "af", "av", "mc", "mac"])
RUN = regex.compile(rf"(?<![\w-])(?:{TOKEN})(?:[ \t]+(?:{PARTICLES}[ \t]+)*(?:{TOKEN})){{0,4}}(?![\w-])")
# A hospital or a clinic is a place (Safe Harbor), not a company: not in this list.
COMPANY = regex.compile(
    r"(?<![\w])(?:\p{Lu}[\p{L}&'\u2019.-]*[ \t,]+(?:(?:and|&|und|et|e|y)[ \t]+)?){1,5}"
    r"(?:Inc|Incorporated|Corp|Corporation|Co|Company|LLC|L\.L\.C|Ltd|Limited|PLC|LP|LLP|GmbH|AG|KG|OHG|OG|SA|S\.A|"
    r"SAS|S\.A\.S|SARL|SpA|S\.p\.A|Srl|S\.r\.l|BV|B\.V|NV|N\.V|AB|A/S|ApS|HB|Oy|Sp\.[ ]z[ ]o\.o|s\.r\.o|v\.o\.s|"
    r"a\.s|Lda|S\.L|S/A|Group|Holdings?|Partners|Associates|Brothers|Bros|Sons|e[ ]figli|und[ ]Söhne|"
    r"Foundation|Trust|Bank|University|Pharma|Pharmaceuticals|Technologies|Systems)\b\.?"
)
TITLES = frozenset(
    ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "herr", "frau", "fru", "fr", "hr", "mme", "mlle", "monsieur", "madame", "sig", "sigra", "sig.ra", "signor", "signora", "sr", "sra", "sres", "don", "doña", "dona", "dott", "dhr", "mevr", "mevrouw", "meneer", "pan", "pani", "pán", "paní"]
)
WEEKDAYS = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"]
)


COMPANY_SUFFIX = regex.compile(
    r"[ \t,]+(?:Inc|Incorporated|Corp|Corporation|Co|Company|LLC|L\.L\.C|Ltd|Limited|PLC|LP|LLP|GmbH|AG|SA|"
    r"S\.A|SAS|SARL|SpA|S\.p\.A|Srl|BV|B\.V|NV|N\.V|AB|A/S|ApS)\b\.?$",
    regex.IGNORECASE,
)


def company_spans(text: str) -> list[tuple[int, int]]:
    """Company names ("Burke, Davies and Stokes Ltd", "Chapman-Johnson Inc."): never a person."""
    return [m.span() for m in COMPANY.finditer(text)]


DEFINED_TERM = regex.compile(r"[\"\u201c](?P<term>\p{Lu}[\p{L}\d&.,'\u2019 -]{1,60}?)[\"\u201d]")


# "Ingram Micro, a corporation organized under the laws of ...": a party described as a company.
DESCRIBED_COMPANY = regex.compile(
    r"(?P<name>\p{Lu}[\p{L}&.'\u2019-]*(?:[ \t]+\p{Lu}[\p{L}&.'\u2019-]*){0,5}),?[ \t]+(?:a|an)[ \t]+"
    r"(?:[\p{L}-]+[ \t]+){0,3}(?i:corporation|company|partnership|limited[ \t]+liability[ \t]+company|bank|"
    r"association|trust|société|gesellschaft|entity)\b"
)


def contract_party_spans(text: str) -> list[tuple[int, int]]:
    """In a contract, every occurrence of a company party's name and of the terms it defines in quotes
    ("Fox Mobile Entertainment, Inc." ... ("Fox"), the "Licensee"): parties and roles, not people."""
    names = set()
    described = [m.span("name") for m in DESCRIBED_COMPANY.finditer(text)]
    for start, end in company_spans(text) + described:
        company = text[start:end].strip(" ,")
        names.add(company)
        core = COMPANY_SUFFIX.sub("", company).strip(" ,")
        if len(core) >= 3:
            names.add(core)
            first = core.split()[0].strip(",")
            if len(first) >= 4 and first.lower() != "the":
                names.add(first)  # "Ingram" for "Ingram Micro Inc.": how contracts shorten a party
    for match in DEFINED_TERM.finditer(text):
        term = match.group("term").strip(" ,")
        # A role ("Licensee", "the Manufacturer") or a short name of a company party ("Fox"); a defined
        # term that is neither ("North", a person's surname) stays personal data.
        words = [w for w in term.split() if w.lower() != "the"]
        if words and (all(classify(w) == "word" for w in words) or any(term.lower() in n.lower() for n in names)):
            names.add(term)
    if not names:
        return []
    pattern = regex.compile(
        r"(?<![\w])(?:" + "|".join(regex.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?![\w])",
        regex.IGNORECASE,
    )
    return [m.span() for m in pattern.finditer(text)]


def covered(spans: list[tuple[int, int]], text: str, start: int, end: int) -> bool:
    """Whether every letter of ``text[start:end]`` lies in one of ``spans`` ("INGRAM NETGEAR": two parties)."""
    return all(any(s <= i < e for s, e in spans) for i in range(start, end) if text[i].isalnum())


def inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


EPONYM_FOLLOWERS = regex.compile(
    r"(?:['\u2019]s?)?[ \t-]+(?:disease|syndrome|palsy|thyroiditis|lymphoma|sign|test|score|scale|criteria|"
    r"manoeuvre|maneuver|procedure|operation|fracture|ulcer|esophagus|oesophagus|encephalopathy|dementia|"
    r"disorder|phenomenon|reflex|classification|tumou?r|sarcoma|cyst|node|duct|cells?|law|equation|formula|"
    r"index|catheter|tube|stockings|shunt|incision|hernia|contracture|anomaly|aneurysm|block|bundle|"
    r"ligament|gland|membrane|area|valve|grade|stage|type|criteria|rule|rules)\b",
    regex.IGNORECASE,
)
DOSE_AFTER = regex.compile(r"[ \t]*(?:\d|\(|XR|ER|SR|CR|XL|HCT|plus\b|tablets?\b|inhaler|patch|injection|cream|drops)", regex.IGNORECASE)


def classify(word: str, following: str = "") -> str:
    """"name", "ambiguous", "word", "place", "initial" or "unknown" for a capitalised token; ``following``
    is the text after it (a dose makes a drug of "Allegra", "disease" an eponym of "Parkinson")."""
    lex = lexicon()
    bare = word.rstrip(".")
    if len(bare) == 1:
        return "initial"
    key = fold(bare)
    if key in PARTICLE_WORDS:
        return "particle"  # "Aryana La Monda", "Mehdi Le Gal": part of a name between its other parts
    if key.endswith(("'s", "\u2019s")):
        key = key[:-2]
    if key in TITLES:
        return "title"
    named = key in lex.first_names or key in lex.last_names
    if len(key) <= 2 or key in WEEKDAYS or (not named and (key in lex.regions or key in lex.months)):
        return "word"
    if "-" in key and all(lex.is_word(part) for part in key.split("-") if part):
        return "word"  # "Step-Down", "Follow-Up"
    if following.startswith(":") and len(key) <= 5:
        return "word"  # a form's label: "Alt:", "Home:"
    if len(key) <= 5 and regex.match(r"[ \t:]*[<>]?\d", following) and key not in lex.first_names:
        return "word"  # a measurement's short name: "Temp 98.6", "Plt 231", "Grp 4"
    if following and (EPONYM_FOLLOWERS.match(following) or (key in lex.clinical and DOSE_AFTER.match(following))):
        return "word"
    if named:
        # Inflected forms count for long words only: "REMEDIES" is a word, "Arias" a name.
        return "ambiguous" if key in lex.english or (len(key) >= 6 and lex.is_word(key)) else "name"
    if lex.is_word(key):
        return "word"
    if key in lex.places:
        return "place"
    return "unknown"


class ListedNameRecognizer(Recognizer):
    """Capitalised runs that the name lists make a person's name: "Jacob lives on", "Verda Kessler",
    "KRISTIAN GREGERSEN", "Linde Overeem"."""

    entity = "NAME"
    flags = 0

    def spans(self, text):
        companies = company_spans(text)
        for run in RUN.finditer(text):
            if inside(companies, *run.span()):
                continue
            tokens = [(m.start() + run.start(), m.end() + run.start(), m.group()) for m in regex.finditer(rf"{TOKEN}", run.group())]
            kinds = [classify(t, text[e : e + 30]) for _, e, t in tokens]
            yield from self.name_parts(text, tokens, kinds)

    @staticmethod
    def name_parts(text, tokens, kinds):
        """Maximal stretches of name-like tokens with at least one listed name in them, or after a title
        ("Frau Martin": a listed name that is also a word)."""
        stretch: list[int] = []
        titled = False
        for i, kind in enumerate([*kinds, "word"]):
            if kind in ("name", "ambiguous", "unknown", "initial", "particle"):
                stretch.append(i)
                continue
            names = [j for j in stretch if kinds[j] == "name" or (titled and kinds[j] in ("ambiguous", "unknown"))]
            partners = [j for j in stretch if kinds[j] in ("ambiguous", "unknown", "name")]
            if names and (len(partners) >= 2 or not any(kinds[j] == "ambiguous" for j in stretch)):
                # The run's own words are trimmed to the listed and unknown ones around a name.
                first, last = stretch[0], stretch[-1]
                while kinds[first] in ("initial", "particle") and first < last:
                    first += 1
                while kinds[last] == "particle" and last > first:
                    last -= 1
                score = 0.75 if len(partners) >= 2 else 0.6
                if len(partners) == 1 and tokens[first][2].isupper() and len(tokens[first][2]) <= 5:
                    score = 0.0  # "AMY" in a header is likelier an abbreviation
                if score:
                    yield tokens[first][0], tokens[last][1], score
            stretch = []
            titled = kind == "title"


LOWER_TITLE = r"(?:mr|mrs|ms|miss|dr|prof|herr|frau|mme|mlle|sig|sra|pan|pani|sr)\.?"
LOWER_CONTEXT = (
    r"(?:spoke|speak|talked|met|seen|saw|visited|called|phoned|texted|emailed|discussed)[ \t]+(?:with[ \t]+|to[ \t]+)?"
    r"(?:pt[ \t]+|patient[ \t]+)?|(?:w/|with)[ \t]+(?:her|his|their)?[ \t]*|"
    r"(?:wife|husband|daughter|son|mother|mom|father|dad|sister|brother|friend|neighbou?r|partner|nurse|"
    r"caregiver|carer|niece|nephew|grandson|granddaughter)[ \t]+"
)


class LowerCaseNameRecognizer(Recognizer):
    """Names written in lower case, where the words around say a person is meant: "mr. elliott",
    "seen w/ daughter xaver", "eric g. samoylova"."""

    entity = "NAME"
    flags = regex.IGNORECASE
    patterns = (
        (rf"(?<![\w]){LOWER_TITLE}[ \t]+(?P<phi>[a-zà-ÿ][\p{{Ll}}'\u2019-]+(?:[ \t]+(?:[a-z]\.[ \t]+)?[a-zà-ÿ][\p{{Ll}}'\u2019-]+)?)", 0.8),
        (rf"(?<![\w])(?:{LOWER_CONTEXT})(?P<phi>[a-zà-ÿ][\p{{Ll}}'\u2019-]+(?:[ \t]+(?:[a-z]\.[ \t]+)?[a-zà-ÿ][\p{{Ll}}'\u2019-]+)?)", 0.7),
        # a listed first name, an initial, and a word nobody knows: "eric g. samoylova"
        (r"(?<![\w])(?P<phi>[a-zà-ÿ][\p{Ll}'\u2019-]+[ \t]+(?:[a-z]\.[ \t]+)?[a-zà-ÿ][\p{Ll}'\u2019-]+)(?![\w])", 0.6),
    )

    def spans(self, text):
        lex = lexicon()
        for number, (pattern, base) in enumerate(self.compiled):
            for match in pattern.finditer(text):
                start, end = match.span("phi")
                words = [(m.start() + start, m.end() + start, m.group()) for m in regex.finditer(r"[\p{L}'\u2019-]+", text[start:end])]
                words = [w for w in words if len(w[2]) > 1]
                if not words or any(not w[2].islower() for w in words):
                    continue
                kinds = ["name" if lex.is_name(w) and not lex.is_word(w) else "word" if lex.is_word(w) or (lex.is_name(w) and len(w) < 3) else "unknown" for _, _, w in words]
                if number == 2:
                    # No context: only a listed first name with a surname nobody knows.
                    if not (fold(words[0][2]) in lex.first_names and kinds[0] == "name" and kinds[-1] in ("name", "unknown") and len(words) == 2):
                        continue
                    yield words[0][0], words[-1][1], base
                    continue
                keep = []
                for w, kind in zip(words, kinds, strict=True):
                    if kind == "word" and not (lex.is_name(w[2]) and number == 0):
                        break
                    keep.append(w)
                if keep:
                    yield keep[0][0], keep[-1][1], base


ITEM = rf"(?:{TOKEN})(?:[ \t]+(?:{PARTICLES}[ \t]+)*(?:{TOKEN})){{0,3}}"
LIST = regex.compile(
    rf"(?<![\w-]){ITEM}(?:[ \t]*(?:[,;/]|[ \t](?:and|&|und|et|e|y|en|og|och|a|i)[ \t])[ \t]*{ITEM}){{1,12}}(?![\w-])"
)
SEPARATOR = regex.compile(r"[ \t]*(?:[,;/]|[ \t](?:and|&|und|et|e|y|en|og|och|a|i)[ \t])[ \t]*")


class PersonListRecognizer(Recognizer):
    """People listed together ("Attendees: Ana Ruiz, Tosti Strand; Halli Sander", "Fiocchi, Falito"): when
    the list's items look alike and the lists know a name among them, every item is a name."""

    entity = "NAME"
    flags = 0

    def spans(self, text):
        companies = company_spans(text)
        for match in LIST.finditer(text):
            if inside(companies, *match.span()):
                continue
            items, position = [], match.start()
            for separator in SEPARATOR.finditer(text, match.start(), match.end()):
                items.append((position, separator.start()))
                position = separator.end()
            items.append((position, match.end()))
            kinds = [[classify(t.group(), text[t.end() + s : t.end() + s + 30]) for t in regex.finditer(TOKEN, text[s:e])] for s, e in items]
            if not any("name" in k for k in kinds):
                continue
            # Every item must read as a name: no word a reader knows in it ("Ihre Kundennummer"), no company.
            alike = [
                all(kind in ("name", "unknown", "ambiguous", "initial", "particle") for kind in k)
                and any(
                    kind in ("name", "unknown") and not (t.group().isupper() and len(t.group()) <= 5)
                    for kind, t in zip(k, regex.finditer(TOKEN, text[s:e]), strict=True)
                )
                and not inside(companies, s, e)
                for (s, e), k in zip(items, kinds, strict=True)
            ]
            if sum(alike) * 2 < len(items) + 1:
                continue
            # "LAST, FIRST": one name, the comma included
            if len(items) == 2 and all(alike) and text[items[0][1] : items[1][0]].strip() == "," and all(len(k) == 1 for k in kinds):
                yield items[0][0], items[1][1], 0.7
                continue
            for (s, e), ok in zip(items, alike, strict=True):
                if ok:
                    yield s, e, 0.6
