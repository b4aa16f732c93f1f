"""Dates, ages over 89, phone and fax numbers, street addresses, cities and postal codes."""

from __future__ import annotations

import regex

from .base import Recognizer
from .names import LOWER_STOP, words

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
    )


class PhoneFaxRecognizer(Recognizer):
    """Phone and fax numbers; a number is a fax when "fax" is the nearest label before it."""

    entity = "PHONE"
    patterns = (
        (r"(?<![\w+-])(?:\+?1[ .-]?)?(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])", 0.75),
        (r"(?<![\w+])\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}(?![\w-])", 0.7),
        (r"(?<![\w+])0\d{2,4}[ ]?\d{3,4}[ ]?\d{3,4}(?![\w-])", 0.4),  # UK national format
        (r"(?<![\w+-])[2-9]\d{9}(?![\w-])", 0.2),  # 10 bare digits: a phone only after "phone", "call"...
        (r"(?<![\w])(?:ext|x)\.?[ ]?\d{3,5}\b", 0.0),
    )
    context_words = (
        "tel",
        "phone",
        "ph",
        "call",
        "cell",
        "mobile",
        "contact",
        "reached",
        "telephone",
        "pager",
        "fax",
        "home",
        "work",
    )
    FAX = regex.compile(r"(?<![\w])(?:fax|facsimile|f:|fx)", regex.IGNORECASE)
    PHONE = regex.compile(
        r"(?<![\w])(?:tel|phone|ph|call|cell|mobile|telephone|pager|t:|p:)", regex.IGNORECASE
    )

    def analyze(self, text, entities=None, nlp_artifacts=None):
        results, previous_end = [], 0
        for start, end, score in sorted(self.spans(text)):
            if score <= 0:
                continue
            window = text[max(previous_end, start - 30) : start]
            fax = [m.end() for m in self.FAX.finditer(window)]
            phone = [m.end() for m in self.PHONE.finditer(window)]
            entity = "FAX" if fax and (not phone or fax[-1] > phone[-1]) else "PHONE"
            results.append(self.result(start, end, score, entity))
            previous_end = end
        return results

    def __init__(self) -> None:
        super().__init__()
        self.supported_entities = ["PHONE", "FAX"]


STREET_TYPE = (
    r"(?:street|st|avenue|ave|road|rd|drive|dr|lane|ln|boulevard|blvd|way|place|pl|court|ct|circle|cir|"
    r"terrace|ter|parkway|pkwy|highway|hwy|square|sq|trail|trl|close|crescent|cres|row|grove|gardens|"
    r"hill|walk|mews|pike|alley|plaza|loop|path|run)"
)
UNIT = r"(?:,?[ \t]*(?:apt|apartment|unit|suite|ste|flat|fl|floor|room|#)\.?[ \t]*#?[ \t]*[A-Z0-9-]{1,6})?"
STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|"
    "ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)


class StreetAddressRecognizer(Recognizer):
    entity = "ADDRESS"
    patterns = (
        (
            rf"(?:\b(?:flat|apt|apartment|unit)[ \t]+[A-Z0-9]{{1,5}},?[ \t]+)?\b\d{{1,6}}[A-Z]?"
            rf"(?:-\d{{1,4}})?[ \t]+"
            rf"(?:[NSEW]\.?[ \t]+)?(?:[A-Z][A-Z'.-]*[ \t]+){{1,3}}{STREET_TYPE}\b\.?{UNIT}",
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
            rf"(?i:(?:\b{STREET_TYPE}\.?|\blives[ \t]+at[ \t]+\d+(?:[ \t]+(?!in\b)\w+){{1,3}}),?[ \t]+in"
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
            words = text[start:end].split()
            if words[0].lower() in self.NOT_PLACE or words[0].lower() in LOWER_STOP:
                continue
            if len(words) > 1 and words[-1].lower() in LOWER_STOP | {"complains", "presents", "reports"}:
                end = start + text[start:end].rindex(words[-1]) - 1
            yield start, end, score
