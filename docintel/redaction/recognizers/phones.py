# ruff: noqa: E501  (patterns and word lists read better unbroken)
"""Phone and fax numbers in any country's format, checked with Google's libphonenumber.

Candidates are found by their shape (digits in groups, an international prefix, an extension); a
candidate is confirmed by libphonenumber as a valid number of one of the regions the deployment serves
(``REDACTION_PHONE_REGIONS``, default: all). Written as a country writes it, "0494 92 82 32",
"(08) 8747 6301", "+1-604-696-5272x565" and "60-56-85-91" are all numbers; a valid number in some region
is not proof on its own (nearly any digit string is valid somewhere), so the shape and the words before
it set the score.
"""

from __future__ import annotations

from functools import cache

import phonenumbers
import regex
from phonenumbers import PhoneMetadata, phonenumberutil

from .base import Recognizer

# A number as written: optional international prefix, groups of digits with spaces, dashes, dots,
# slashes or brackets between them, an optional extension. At least six digits (checked below).
CANDIDATE = regex.compile(
    r"(?<![\w+/.,:-]|[\w][.,])"
    r"(?P<number>(?:\+|\b00)?[ ]?(?:\(\+?\d{1,5}\)[ ]?|\d)(?:[ ]?\(0\))?(?:[ .\-/]{0,2}(?:\(\d{1,5}\)|\d)){5,18})"
    r"(?P<extension>[ ]?(?:x|ext\.?|extension|ext\.?[ ]?no\.?|#|Durchwahl|poste)[ ]?\d{1,6})?"
    r"(?![\w]|[.,/]\d|[-][\d\p{L}])",
    regex.IGNORECASE,
)
DATE_LIKE = regex.compile(
    r"^(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2})$|^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$"
)
DECIMAL = regex.compile(r"^\d{1,3}[.,]\d{1,2}$|\d\.\d+[ -]\d|^(?:19|20)\d{2}[-/](?:19|20)\d{2}$")
FAX_LABEL = regex.compile(r"(?<![\w])(?:fax|facsimile|telefax|f:|fx)", regex.IGNORECASE)
PHONE_LABEL = regex.compile(
    r"(?<![\w])(?:tel|phone|ph|call|cell|mobile|mob|telephone|pager|t:|p:|m:|handy|telefon|tél|téléphone|"
    r"telefono|teléfono|telefoon|tlf|puhelin|reach|reached|contact|ring|whatsapp|sms|text)",
    regex.IGNORECASE,
)


@cache
def region_patterns(regions: tuple[str, ...]) -> tuple[tuple[str, regex.Pattern, str], ...]:
    """Per region: its national number pattern and trunk prefix, to pick the regions worth parsing in."""
    table = []
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None or metadata.general_desc is None:
            continue
        pattern = metadata.general_desc.national_number_pattern
        if pattern:
            table.append((region, regex.compile(f"(?:{pattern})"), metadata.national_prefix or ""))
    return tuple(table)


@cache
def valid_in(digits: str, written: str, regions: tuple[str, ...]) -> bool:
    """Whether libphonenumber knows ``written`` as a valid number of one of ``regions``."""
    for region, pattern, trunk in region_patterns(regions):
        national = digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits
        if not pattern.fullmatch(national):
            continue
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(written, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def international_valid(written: str) -> bool | None:
    """True: a valid number; False: a number that cannot exist; None: not written internationally."""
    text = written.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+") and not regex.match(r"^\(\+", text):
        return None
    try:
        number = phonenumbers.parse(text.replace("(+", "+").replace(")", " ", 1) if text.startswith("(+") else text, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) or phonenumbers.is_possible_number(number)


class PhoneNumberRecognizer(Recognizer):
    entity = "PHONE"
    context_window = 30

    def __init__(self, regions: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.supported_entities = ["PHONE", "FAX"]
        self.regions = regions or tuple(sorted(phonenumberutil.SUPPORTED_REGIONS))

    def spans(self, text):
        for match in CANDIDATE.finditer(text):
            written = match.group("number").strip()
            digits = regex.sub(r"\D", "", written)
            if not 6 <= len(digits) <= 15 or DATE_LIKE.match(written) or DECIMAL.search(written):
                continue
            start = match.start("number") + (len(match.group("number")) - len(match.group("number").lstrip()))
            end = match.end()
            labelled = bool(PHONE_LABEL.search(text[max(0, start - self.context_window) : start])) or bool(
                FAX_LABEL.search(text[max(0, start - self.context_window) : start])
            )
            international = international_valid(written)
            grouped = bool(regex.search(r"[ .\-/()]", written))
            if international is True:
                score = 0.9
            elif international is False:
                score = 0.5 if labelled else 0.0
            elif len(digits) < 7:
                score = 0.6 if labelled else 0.0
            elif valid_in(digits, written, self.regions):
                score = 0.85 if labelled else 0.7 if grouped or digits.startswith("0") else 0.4
            else:
                score = 0.6 if labelled else 0.3 if grouped else 0.0
            if score:
                yield start, end, score

    EXTENSION = regex.compile(r"(?<![\w])(?:x|ext\.?|extn\.?|extension|Durchwahl|DW|poste)[ ]?(?P<number>\d{3,5})(?![\w])", regex.IGNORECASE)

    def extensions(self, text):
        """An internal extension on its own ("Attending: Dr Ruiz x3650"): a phone number of the clinic."""
        for match in self.EXTENSION.finditer(text):
            yield match.start(), match.end(), 0.5

    def analyze(self, text, entities=None, nlp_artifacts=None):
        results, previous_end = [], 0
        for start, end, score in sorted([*self.spans(text), *self.extensions(text)]):
            window = text[max(previous_end, start - self.context_window) : start]
            fax = [m.end() for m in FAX_LABEL.finditer(window)]
            phone = [m.end() for m in PHONE_LABEL.finditer(window)]
            entity = "FAX" if fax and (not phone or fax[-1] > phone[-1]) else "PHONE"
            results.append(self.result(start, end, score, entity))
            previous_end = end
        return results
