# ruff: noqa: E501  (patterns and word lists read better unbroken)
"""Postal addresses of the countries docintel serves (US, UK, DE, AT, CH, FR, IT, ES, NL, PT, CZ, PL, SE,
DK), by their parts: a street line (house number and street type in each country's order), a postal
code in each country's shape next to a town, towns from GeoNames, and the block they form together.

An address is found from an anchor (a street line, a postal code beside a town, "City, ST 12345", an
"Address:" label or "lives at") and then followed forward over the parts that an address continues
with: a unit, a postal code, a town, a state or country. Each part is its own span.
"""

from __future__ import annotations

import regex

from docintel.redaction.lexicons import fold, lexicon

from .base import Recognizer
from .listed_names import EPONYM_FOLLOWERS
from .names import LOWER_STOP, words

# Street types written after the name (English; USPS Publication 28's suffixes and the UK's), or fused to
# it ("Hauptstraße", "Rådhusvej", "Bruksgatan", "Oranjelaan"), or before it ("rue", "via", "ul.", "calle").
STREET_AFTER = (
    r"street|st|avenue|ave|av|road|rd|drive|dr|lane|ln|boulevard|blvd|way|place|pl|court|ct|circle|cir|"
    r"terrace|ter|parkway|pkwy|highway|hwy|square|sq|trail|trl|close|crescent|cres|row|grove|gardens?|gdns|"
    r"hill|walk|mews|pike|alley|aly|plaza|plz|loop|path|run|bypass|byp|causeway|center|centre|ctr|common|"
    r"commons|corner|crossing|xing|crossroad|curve|dale|dam|divide|estates?|expressway|expy|extension|ext|"
    r"falls|ferry|fields?|flats?|ford|forest|forge|fork|fort|freeway|fwy|glen|green|grn|harbou?r|haven|"
    r"heights|hts|hollow|inlet|island|isle|junction|jct|key|knolls?|lake|landing|light|lights|lodge|"
    r"manor|meadows?|mill|mills|mission|motorway|mount|mountain|neck|orchard|oval|overpass|park|parade|pass|"
    r"passage|pines?|plains?|point|pt|ports?|prairie|radial|ramp|ranch|rapids?|rest|ridge|river|shoals?|"
    r"shores?|skyway|springs?|spur|station|sta|stravenue|stream|summit|throughway|trace|track|trafficway|"
    r"tunnel|turnpike|underpass|union|valley|vly|via|viaduct|view|villages?|ville|vista|wall|wells?|wharf|"
    r"wynd|rise|chase|gate|yard|end|approach|broadway|embankment|quay|brow|vale|fold|garth|croft|bank|"
    r"mall|arcade|canyon|cove|creek|bluff|burg|camp|cliffs?|club|drives|grove|hills|lakes|loaf|locks|"
    r"mount|oaks?|promenade|prom|terrace|vej|gade|straße|strasse|weg|gasse|allee|platz|laan|straat|"
    r"gatan|vägen|plads|torv|stiege"
)
STREET_FUSED = (
    r"straße|strasse|str\.|gasse|weg|allee|platz|ring|damm|ufer|steig|pfad|zeile|hof|graben|markt|"
    r"chaussee|laan|straat|gracht|kade|singel|dijk|dreef|plein|steeg|vej|gade|allé|stræde|plads|torv|"
    r"vænget|gatan|vägen|gränd|stigen|backen|torget|väg|gata|plan|bakken|toften|haven|vænge|parken|høj|"
    r"vejen|gaden|torvet|pladsen|stiege|lände|kai|leane|wei|reed|pad"
)
STREET_BEFORE = (
    r"grande?[ \t]+rue|rue|rúa|cour|prom\.|promenade|avenue|av\.|ave\.|boulevard|bd|bld|chemin|ch\.|place|pl\.|allée|impasse|quai|route|rte|cours|"
    r"square|passage|sentier|voie|via|viale|v\.le|piazza|p\.za|piazzale|corso|c\.so|vicolo|largo|strada|"
    r"contrada|borgo|rotonda|salita|lungomare|calle|c/|avenida|avda\.?|paseo|plaza|camino|carretera|"
    r"ronda|travesía|travesia|pasaje|cuesta|glorieta|rambla|callejón|vía|urbanización|rua|r\.|travessa|"
    r"tv\.|praça|pç\.|estrada|alameda|beco|calçada|rotunda|praceta|bairro|quinta|ul\.|ulica|al\.|aleja|"
    r"pl\.|plac|os\.|osiedle|nám\.|náměstí|třída|tř\.|nábřeží|sídliště"
)
PARTICLE = (
    r"(?:de|du|des|la|le|les|del|della|delle|dei|di|da|do|dos|das|van|von|der|den|het|'t|te|ten|ter|am|an|im|in|"
    r"bei|auf|sur|sous|en|y|e|i\.?|och|ved|på|au|aux|l'|d'|nad|pod|u|na|ob|St\.?|Sankt|Saint|San|Santa|Sainte)"
)
CAP = r"(?:\p{Lu}\p{Ll}?\.|\p{Lu}[\p{L}'\u2019-]*)"  # "Senftenberg", "SAINT-PRIEST", "St."
UNIT_WORD = r"(?i:apt|apartment|suite|ste|unit|flat|floor|room|app|appartamento|apto|piso|bus|whg|top|no|lgh)\b"
NAME_WORDS = rf"{CAP}(?:[ \t]+(?:{PARTICLE}[ \t]+)*(?!{UNIT_WORD}){CAP}){{0,4}}"
HOUSE = r"(?:\d{1,5}[ \t]?[a-zA-Z]?(?:[-/]\d{1,4}[a-zA-Z]?)?|S/N|s/n)"
UNIT = (
    r"(?:apt|apartment|unit|suite|ste|flat|fl|floor|room|rm|#|no|appartamento|app|apto|piso|puerta|pta|"
    r"étage|bâtiment|bât|escalier|esc|bus|boîte|bte|whg|wohnung|top|stiege|stg|tür|lgh|lägenhet|mf|th|tv|"
    r"st|sal|int|interno|scala|dept|department|bldg|building|block|blk|lot|po box|p\.o\. box|postfach|"
    r"c\.p\.|casella postale)\.?[ \t]*#?[ \t]*[A-Z0-9][A-Z0-9/-]{0,5}"
)

UNIT_AFTER = rf"(?:,?[ \t]*(?i:{UNIT}))?"

# Postal codes in each country's shape, with the optional country prefix ("DK-1462", "CH-8001", "A-1010").
POSTCODES = {
    "nl": r"[1-9]\d{3}[ ]?(?!SA|SD|SS)[A-Z]{2}",
    "pt": r"\d{4}-\d{3}",
    "pl": r"\d{2}-\d{3}",
    "cz_sk_se_gr": r"\d{3}[ ]\d{2}",
    "uk": r"(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})",
    "ca": r"[ABCEGHJ-NPRSTVXY]\d[A-Z][ ]?\d[A-Z]\d",
    "us_de_fr_it_es": r"\d{5}(?:-\d{4})?",
    "at_ch_dk_be_no": r"\d{4}",
}
POSTCODE = r"(?:(?:[A-Z]{1,3}-)?(?:" + "|".join(POSTCODES.values()) + r"))"
STREET_PATTERNS = {
    # 77763 Tony Village Suite 690 / 12 Elm St. / 276 Boulevard Du Preche / 4, rue de Pottier
    "number_name_type": rf"(?<![\w.,/-]){HOUSE},?[ \t]+(?:[NSEW]\.?[ \t]+)?(?:{NAME_WORDS}[ \t]+)?(?i:{STREET_AFTER})\b\.?",
    "number_type_name": rf"(?<![\w.,/-]){HOUSE},?[ \t]+(?i:{STREET_BEFORE})[ \t]+(?:{PARTICLE}[ \t]+)*{NAME_WORDS}",
    # Hauptstraße 5 / Rådhusvej 5 / Agnes-Wesack-Straße 26-83 / Oranjelaan 175
    "fused_type_number": rf"(?<![\w])\p{{Lu}}[\p{{L}}'\u2019.-]*(?i:{STREET_FUSED})(?:[ \t]+{CAP})?,?[ \t]+{HOUSE}(?![\w])",
    "number_fused_type": rf"(?<![\w.,/-]){HOUSE},?[ \t]+\p{{Lu}}[\p{{L}}'\u2019-]*(?i:{STREET_FUSED})(?![\w])",
    # A street with no street type, known by the postal code and town that follow: "Koclířova 77, 406 69 Chrast"
    "name_number_postcode": rf"(?<![\w]){NAME_WORDS}[ \t]+{HOUSE}(?=,?[ \t]*(?:\n[ \t]*)?{POSTCODE}[ \t]+\p{{Lu}})",
    "name_type_number": rf"(?<![\w]){NAME_WORDS}[ \t]+(?i:{STREET_FUSED}|{STREET_AFTER})\.?,?[ \t]+{HOUSE}(?![\w])",
    # Via Roma 12 / ul. Zamkowa 235 / Rua Mestra 276 / Calle Mayor, 5 / Viale Sermonti, 13
    "type_name_number": rf"(?<![\w])(?i:{STREET_BEFORE})[ \t]+(?:{PARTICLE}[ \t]+)*{NAME_WORDS},?[ \t]+(?:n[º°o]\.?[ \t]*)?{HOUSE}(?![\w])",
    "po_box": r"(?<![\w])(?i:p\.?[ ]?o\.?[ ]?box|postfach|apartado|case postale|boîte postale|casella postale)[ \t]+\d{1,6}(?![\w])",
}

TOWN = rf"(?:{NAME_WORDS}|\p{{Lu}}{{2,}}(?:[ \t-]+\p{{Lu}}{{2,}})*)"
STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|"
    "ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|AA|AE|AP|AS|GU|MP|PR|VI|FM|MH|PW"
)

ANCHORS = {
    **STREET_PATTERNS,
    "postcode_town": rf"(?<![\w.,/-]){POSTCODE}[ \t]+{TOWN}",
    "town_state_zip": rf"(?<![\w]){TOWN},?[ \t]+(?:{STATES})[ \t]+\d{{5}}(?:-\d{{4}})?(?![\w])",
    "town_postcode": rf"(?<![\w]){TOWN},?[ \t]+(?:{POSTCODES['uk']}|{POSTCODES['nl']})(?![\w])",
    "labelled": r"(?<![\w])(?i:(?:home|postal|mailing|street|billing|shipping|delivery|permanent|current|new)[ \t]+)?"
    r"(?i:address|addr\.?|adresse|anschrift|indirizzo|dirección|direccion|adres|endereço|adresa|adress|"
    r"residence|domicile|wohnort|street|straße|strasse|rue|calle|via|home|ship[ \t]+to|deliver[ \t]+to|"
    r"send[ \t]+to|mail[ \t]+to)[ \t]*(?:is[ \t]|:|-|=)[ \t]*"
    r"(?P<phi>[^\s@|:][^\n|@]{3,90}?)[ \t]*(?=[|\n]|[.;](?:[ \t]|$)|$)",
    # A street with no type but a house number, followed by its town: "Bílá 1259, Praha", "Am Konsulat 959, Bern"
    "name_number_town": rf"(?<![\w]){NAME_WORDS}[ \t]+\d{{1,5}}[a-zA-Z]?(?:/\d{{1,4}})?(?=,[ \t]*(?:\n[ \t]*)?\p{{Lu}}\p{{Ll}})",
    # A town and a postal code closing a line: "Rovigo 57116"
    "town_code_end": rf"(?<![\w]){TOWN}[ \t]+\d{{4,5}}(?=[ \t]*(?:\n|$|[.;]))",
    "sent_to": r"(?<![\w])(?i:ship|deliver|send|mail|forward)[ \t]+(?:it[ \t]+|them[ \t]+|the[ \t]+\w+[ \t]+)?(?i:to)[ \t]*:?[ \t]*"
    r"(?P<phi>\d[^\n|@]{3,90}?)[ \t]*(?=[|\n]|[.;](?:[ \t]|$)|$)",
    "lives_at": r"(?<![\w])(?i:lives|living|live|resides|residing|reside|located|situated|staying|stays|moved)[ \t]+"
    r"(?i:on|at|to)[ \t]+(?P<phi>(?:the[ \t]+)?[\p{L}\d][^\n.;!?]{2,80}?)(?=[ \t]+in[ \t]+\p{Lu}|[.;!?](?:[ \t]|$)|\n|$)",
}

# What an address continues with, after a comma, a space or a line break.
CONTINUATION = regex.compile(
    rf"(?P<sep>[ \t]*,?[ \t]*(?:\n[ \t]*)?)(?:(?P<unit>(?i:{UNIT}))|(?P<postcode>{POSTCODE})(?![\w])|"
    rf"(?P<town>{TOWN})(?![\w]))"
)


class AddressRecognizer(Recognizer):
    entity = "ADDRESS"
    flags = 0
    patterns = tuple((pattern, 0.75) for pattern in ANCHORS.values())

    def __init__(self) -> None:
        super().__init__()
        self.named = {name: regex.compile(pattern) for name, pattern in ANCHORS.items()}

    def part_score(self, text: str, start: int, end: int) -> float:
        """How sure a town-like part after an address is an address part: a known place or a region
        (country, state) is; a word a reader knows ("Patient", "Seen") is not."""
        words = regex.findall(r"[\p{L}'\u2019-]+", text[start:end])
        lex = lexicon()
        phrase = fold(" ".join(words))
        if phrase in lex.places or phrase in lex.regions:
            return 0.75
        if all(lex.is_word(w) and fold(w) not in lex.places for w in words if len(w) > 2):
            return 0.0
        return 0.6

    def spans(self, text):
        for name, pattern in self.named.items():
            for match in pattern.finditer(text):
                start, end = match.span("phi") if "phi" in pattern.groupindex else match.span()
                score = self.anchor_score(name, text, start, end)
                if not score:
                    continue
                yield start, end, score
                yield from self.continuation(text, end)

    def anchor_score(self, name: str, text: str, start: int, end: int) -> float:
        value = text[start:end]
        if name == "postcode_town":
            code, _, town = value.partition(" ")
            town_score = self.part_score(text, start + len(code) + 1, end)
            if regex.fullmatch(r"(?:19|20)\d{2}", code) and town_score < 0.75:
                return 0.0  # "In 2015 Patient quit": a year, not a postal code
            return 0.8 if town_score else 0.0
        if name in ("town_state_zip", "town_postcode"):
            return 0.85
        if name in ("name_number_town", "town_code_end"):
            words = regex.findall(r"[\p{L}'\u2019-]+", value)
            lex = lexicon()
            if all(lex.is_word(w) and fold(w) not in lex.places for w in words) or max(map(len, words)) < 4:
                return 0.0  # "Bed 12, Anna", "Room 4", "RR 18"
            if name == "town_code_end" and regex.search(r"\b(?:19|20)\d{2}$", value) and self.part_score(text, start, end - 5) < 0.75:
                return 0.0  # "Tdap 2020": a year after a word, not a postal code
            if name == "name_number_town":
                town = regex.match(rf",[ \t]*(?:\n[ \t]*)?({TOWN})", text[end:])
                if not town or self.part_score(text, end + town.start(1), end + town.end(1)) < 0.75:
                    return 0.0  # the town after the comma must be one GeoNames knows
            return 0.6
        if name.startswith("number_") and regex.search(
            r"(?i)\b(?:mg|mcg|ml|units?|tabs?|times|mmhg|kg|cm|days?|weeks?|months?|hours?|years?|old|yo|"
            r"patients?|beds?|floor|room|steps|stairs|flights?)\b",
            value,
        ):
            return 0.0
        return 0.8

    def continuation(self, text: str, end: int):
        """The parts that follow an address: "…, Suite 170, MITTERLOBMING, Austria 26759"."""
        lines = 0
        while match := CONTINUATION.match(text, end):
            lines += match.group("sep").count("\n")
            if lines > 2 or match.end() == end:
                return
            kind = "unit" if match.group("unit") else "postcode" if match.group("postcode") else "town"
            part_end, score = match.end(kind), 0.8
            if kind == "town":
                part_end, score = self.town_prefix(text, match.start(kind), match.end(kind))
                if not score:
                    return
            yield match.start(kind), part_end, score
            if part_end < match.end(kind):
                return
            end = part_end

    def town_prefix(self, text: str, start: int, end: int) -> tuple[int, float]:
        """The longest run of words from ``start`` that still reads as a town: "Odivelas Portugal", not
        "USA. Thanks"."""
        best = (start, 0.0)
        for word in regex.finditer(r"\S+", text[start:end]):
            score = self.part_score(text, start, start + word.end())
            if not score:
                break
            best = (start + word.end(), score)
        return best


class PlaceNameRecognizer(Recognizer):
    """Towns from GeoNames written in the text, in the places where a town is written: after "in",
    "from", "to", "near", "lives in", "born in", before ", <country>", or in any case in a clinical
    document's high-recall pass (engine). Names that are ordinary words or first names need those words."""

    entity = "ADDRESS"
    flags = 0
    SEQUENCE = regex.compile(rf"(?<![\w]){TOWN}(?![\w])")
    BEFORE = regex.compile(
        r"(?i:\b(?:in|from|to|near|at|of|visited|visiting|toward|towards|via|born|moved|lives|living|resides|"
        r"nach|aus|bei|à|au|en|de|da|di|a|naar|uit|i|w|ve|från|til)\b)[ \t]*$"
    )

    def spans(self, text):
        lex = lexicon()
        for match in self.SEQUENCE.finditer(text):
            words = match.group().split()
            # Longest known place inside the capitalised run, left to right.
            i = 0
            while i < len(words):
                for j in range(min(len(words), i + 4), i, -1):
                    phrase = " ".join(words[i:j])
                    key = fold(phrase.strip(".,"))
                    if key in lex.places and key not in lex.regions:
                        start = match.start() + len(" ".join(words[:i])) + (1 if i else 0)
                        end = start + len(phrase.rstrip(".,"))
                        yield start, end, self.place_score(text, start, end, key, j - i)
                        i = j - 1
                        break
                i += 1

    def place_score(self, text: str, start: int, end: int, key: str, words: int) -> float:
        lex = lexicon()
        after = text[end : end + 40]
        context = bool(self.BEFORE.search(text[max(0, start - 25) : start])) or bool(
            regex.match(r"[ \t]*,[ \t]*(\p{Lu}[\p{L} ]+)", after)
            and fold(regex.match(r"[ \t]*,[ \t]*(\p{Lu}[\p{L} ]+)", after).group(1).strip()) in lex.regions
        )
        ordinary = all(lex.is_word(w) or lex.is_name(w) for w in key.split())
        written = text[start:end]
        if written.isupper() and len(written) <= 5 and not context:
            return 0.0  # "PRN", "DKA": abbreviations far more often than villages
        if EPONYM_FOLLOWERS.match(after):
            return 0.0  # "Cushing syndrome"
        if ordinary:
            if not context or written.isupper() or len(written) < 4:
                return 0.0
            return 0.6 if words > 1 else 0.5
        return 0.75 if context else 0.5


class StreetAddressRecognizer(Recognizer):
    entity = "ADDRESS"
    patterns = (
        (
            rf"(?:\b(?:flat|apt|apartment|unit)[ \t]+[A-Z0-9]{{1,5}},?[ \t]+)?\b\d{{1,6}}[A-Z]?"
            rf"(?:-\d{{1,4}})?[ \t]+"
            rf"(?:[NSEW]\.?[ \t]+)?(?:[A-Z][A-Z'.-]*[ \t]+){{1,3}}(?:{STREET_AFTER})\b\.?{UNIT_AFTER}",
            0.8,
        ),
        (r"\bP\.?[ ]?O\.?[ ]?Box[ \t]+\d{1,6}\b", 0.85),
        # A street named without a number: "the pharmacy on Elm St"
        (
            r"(?<=\b(?:on|at|off)[ \t]+)(?-i:[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?[ \t]+(?:Street|St|Avenue|Ave"
            r"|Road|Rd|Lane|"
            r"Ln|Boulevard|Blvd|Drive|Way))\b\.?",
            0.6,
        ),
        # No street type, but announced: "brought by EMS from 2513 KINGSWAY, BURLINGTON"
        (r"(?<=\b(?:from|at)[ \t]+)\d{1,6}[ \t]+(?-i:[A-Z][A-Za-z]+(?:[ \t]+[A-Z][A-Za-z]+){0,2})(?=,)", 0.6),
        (
            r"(?<=\b(?:lives|living|resides|residing|staying)[ \t]+at[ \t]+)\d{1,6}[ \t]+[A-Z]+(?:[ \t]+"
            r"(?!in\b)[A-Z.]+){0,2}",
            0.7,
        ),
        # Continental forms: "Hauptstraße 5", "12 rue de la Paix", "10115 Berlin", "75002 Paris"
        (
            r"\b\p{Lu}[\p{L}-]*(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|laan|straat|gracht|"
            r"vej|gatan|gata|via|calle)[ \t]+\d{1,4}[a-z]?\b",
            0.75,
        ),
        (
            r"\b\d{1,4}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?:rue|avenue|av\.|boulevard|bd|chemin|place|allée"
            r"|impasse|quai|"
            r"route|via|viale|calle|avenida)[ \t]+(?:[\p{L}'-]+[ \t]+){0,4}?\p{L}[\p{L}'-]*(?=[ \t]*[,\n])",
            0.75,
        ),
        (r"(?<=,[ \t]*)\d{4,5}[ \t]+(?-i:\p{Lu}\p{Ll}+(?:[ -]\p{Lu}?\p{Ll}+)?)\b", 0.6),
        # No street type, but a unit: "9356 Kingsway Unit 16"
        (
            r"\b\d{1,6}[ \t]+(?:[A-Z][a-z]+[ \t]+){0,2}[A-Z][a-z]+,?[ \t]+(?-i:Apt|Apartment|Unit|Suite|Ste"
            r"|Flat)\.?[ \t]*"
            r"#?[A-Z0-9-]{1,6}\b",
            0.7,
        ),
    )
    TOWN_AFTER = regex.compile(
        r",[ \t]*(?P<town>[A-Z][A-Za-z'.-]+(?:[ \t]+[A-Z][A-Za-z'.-]+)?)(?=[.,;\n]|[ \t]*$)"
    )

    def spans(self, text):
        for start, end, score in super().spans(text):
            value = regex.sub(UNIT + "$", "", text[start:end], flags=regex.I)
            # "5 mg PO daily" style false hits: a street name is not a dose.
            if regex.search(
                r"\b(?:mg|mcg|ml|units?|tabs?|x|times|mmhg|kg|cm|days?|weeks?|months?|hours?|years?|old|yo|with|by|and|to|the|of|for)\b",
                value,
                regex.I,
            ):
                continue
            yield start, end, score
            town = self.TOWN_AFTER.match(text, end)
            if town:  # "FROM 6790 CEDAR LANE, HARTFORD."
                yield town.start("town"), town.end("town"), 0.6


class CityStateZipRecognizer(Recognizer):
    """``City, ST 12345(-6789)``: the city and the ZIP are PHI, the state is not."""

    entity = "ADDRESS"
    flags = 0
    PATTERN = regex.compile(
        rf"(?P<city>(?:[A-Z][a-zA-Z'.-]+|[A-Z]{{2,}})(?:[ \t]+(?:[A-Z][a-zA-Z'.-]+|[A-Z]{{2,}})){{0,2}}),?"
        rf"[ \t]+"
        rf"(?:{STATES})\.?(?:[ \t]+(?P<zip>\d{{5}}(?:-\d{{4}})?))?\b"
    )
    ZIP = regex.compile(
        r"(?i)\b(?:zip|zip[ ]?code|postal[ ]?code|postcode|USA|U\.S\.A\.|US)[ \t]*[:#]?[ \t]*"
        r"(?P<zip>\d{5}(?:-\d{4})?)\b"
    )
    ZIP4 = regex.compile(r"(?<![\w-])\d{5}-\d{4}(?![\w-])")
    STREET_LINE = regex.compile(r"(?m)^[ \t]*(?P<street>\d{1,6}[A-Z]?[ \t]+[A-Za-z][\w .'#,-]{2,60}?)[ \t]*$")
    TOWN_BEFORE = regex.compile(r"(?<![\w])[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?,?[ \t]+(?=\Z)")
    UK_POSTCODE = regex.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2}\b")
    AMBIGUOUS_STATES = {
        "MD",
        "PA",
        "ME",
        "OR",
        "IN",
        "ID",
        "CO",
        "DE",
        "OK",
        "HI",
        "LA",
        "MI",
        "MS",
        "MT",
        "AL",
    }
    NOT_CITY = {
        "MD",
        "DO",
        "PA",
        "RN",
        "NP",
        "MRN",
        "DOB",
        "PT",
        "DR",
        "IN",
        "OR",
        "ME",
        "OK",
        "HI",
        "CO",
        "DE",
        "ID",
        "SEX",
        "AGE",
        "FAX",
        "TEL",
        "BP",
        "HR",
        "RR",
        "VS",
    }

    def spans(self, text):
        for match in self.PATTERN.finditer(text):
            city = match.group("city")
            state = text[match.end("city") : match.end()].strip(" ,.\t0123456789-")
            if match.group("zip") is None and state in self.AMBIGUOUS_STATES:
                continue
            if city.split()[-1].upper() not in self.NOT_CITY:
                # Keep only the capitalised words right before the comma: "Home in Ann Arbor, MI".
                yield match.start("city"), match.end("city"), 0.75 if match.group("zip") else 0.55
            if match.group("zip"):
                yield match.start("zip"), match.end("zip"), 0.9
            line_start = text.rfind("\n", 0, match.start()) + 1
            if match.group("zip") and not text[line_start : match.start()].strip():
                above = self.STREET_LINE.search(text, 0, max(0, line_start - 1))
                if above and above.end() == line_start - 1:  # "8559 Kingsway" above "Springfield, MA 01101"
                    yield above.start("street"), above.end("street"), 0.7
        for match in self.ZIP.finditer(text):
            yield match.start("zip"), match.end("zip"), 0.9
        for match in self.ZIP4.finditer(text):
            yield match.start(), match.end(), 0.6
        for match in self.UK_POSTCODE.finditer(text):
            yield match.start(), match.end(), 0.6
            town = self.TOWN_BEFORE.search(text, 0, match.start())
            if town:  # "Bristol BS1 4DJ": the town before a postcode
                yield town.start(), town.end(), 0.7


class AddressLineRecognizer(Recognizer):
    """Whatever follows an "Address:" label on its line (a state in it is redacted too: safer)."""

    entity = "ADDRESS"
    patterns = (
        (
            r"(?<!(?:ip|e-?mail|web|mac|url)[ \t])(?<![\w])(?:home[ \t]+|mailing[ \t]+|street[ \t]+|postal"
            r"[ \t]+)?"
            r"(?:address|addr\.?|residence|domicile)[ \t]*[:|][ \t]*(?P<phi>[^\s|][^\n|]{4,100}?)[ \t]*"
            r"(?=\||$)",
            0.7,
        ),
    )
    flags = regex.IGNORECASE | regex.MULTILINE

    def spans(self, text):
        for start, end, score in super().spans(text):
            # An e-mail or IP written after "Address:" belongs to its own recognizer.
            if "@" not in text[start:end] and not regex.fullmatch(r"[\d.:a-f]+", text[start:end]):
                yield start, end, score


class FacilityRecognizer(Recognizer):
    """Named hospitals, clinics and homes: a location under Safe Harbor ("Boston Medical Center")."""

    entity = "ADDRESS"
    flags = 0
    patterns = (
        (
            r"(?:\b(?:St\.?|Saint)[ \t]+)?\b(?:\p{Lu}[\p{L}'.&-]*[ \t]+(?:(?:of|and|the|for)[ \t]+)?){1,4}"
            r"(?:Hospital|Medical[ \t]+Center|Medical[ \t]+Centre|Health[ \t]+Center|Clinic|Infirmary"
            r"|Hospice|"
            r"Nursing[ \t]+Home|Assisted[ \t]+Living|Rehabilitation[ \t]+Center|Manor|Surgery|Health)\b",
            0.5,
        ),
        (
            r"(?:\b(?:ST\.?|SAINT)[ \t]+)?\b(?:[A-Z][A-Z'.&-]+[ \t]+){1,4}"
            r"(?:HOSPITAL|MEDICAL[ \t]+CENTER|CLINIC|INFIRMARY|HOSPICE|NURSING[ \t]+HOME|HEALTH)\b",
            0.5,
        ),
    )
    # Words that make a department or a kind of place, not a named one ("Outpatient Clinic", "The Surgery").
    GENERIC = words(
        """
    the a an this our your his her their general community private local outpatient inpatient device
    cardiology surgical medical dental eye walk-in urgent primary family pain diabetes heart cancer
    anticoagulation memory sleep fertility mental health public university teaching district regional
    children's women's veterans nhs foundation trust department of and for
    """
    )

    def spans(self, text):
        for start, end, score in super().spans(text):
            words = text[start:end].split()
            if any(word.lower() not in self.GENERIC for word in words[:-1]):
                yield start, end, score


class PlaceRecognizer(Recognizer):
    """A town after words that announce one: "lives in Ithaca", "from Springfield", "towed to ..."."""

    entity = "ADDRESS"
    flags = 0
    patterns = (
        (
            r"(?i:\b(?:lives|live|lived|living|resides|reside|residing|resident|moved|born|relocated|home|"
            r"hometown|located|based|stays|stayed|visiting|"
            r"alone|pharmacy|facility|clinic)(?:[ \t]+\w+){0,2}?[ \t]+(?:in|at|near|of)[ \t]+)"
            r"(?P<phi>(?:[A-Z][a-z'.-]+|[a-z]{4,})(?:[ \t]+[A-Z][a-z'.-]+){0,2})\b",
            0.6,
        ),
        # "lives at 12 elm st in hartford": the town after a street address
        (
            rf"(?i:(?:\b(?:{STREET_AFTER})\.?|\blives[ \t]+at[ \t]+\d+(?:[ \t]+(?!in\b)\w+){{1,3}}),?[ \t]+in"
            rf"[ \t]+)(?P<phi>[A-Za-z][a-z'.-]+(?:[ \t]+[A-Za-z][a-z'.-]+)?)\b",
            0.6,
        ),
    )
    NOT_PLACE = {
        "the",
        "home",
        "bed",
        "this",
        "that",
        "with",
        "his",
        "her",
        "their",
        "a",
        "an",
        "our",
        "clinic",
        "hospital",
        "care",
        "alone",
    }

    def spans(self, text):
        for start, end, score in super().spans(text):
            if (stop := regex.search(r"\.[ \t]", text[start:end])) is not None:
                end = start + stop.start()  # "in Grand Rapids. Call ...": the sentence ends with the town
            words = text[start:end].split()
            if words[0].lower() in self.NOT_PLACE or words[0].lower() in LOWER_STOP:
                continue
            if len(words) > 1 and words[-1].lower() in LOWER_STOP | {"complains", "presents", "reports"}:
                end = start + text[start:end].rindex(words[-1]) - 1
            yield start, end, score
