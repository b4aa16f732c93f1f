"""National identifiers: the US Social Security number, the NHS number, the German Steuer-ID, the French
NIR and others under their labels, each checked where a checksum exists."""

from __future__ import annotations

from stdnum.de import idnr
from stdnum.fr import nir
from stdnum.gb import nhs

from .base import Recognizer, labelled


def compact(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum()).upper()


class SsnRecognizer(Recognizer):
    entity = "SSN"
    patterns = (
        (r"\b(?P<phi>\d{3}-\d{2}-\d{4})\b", 0.6),
        (r"\b(?P<phi>\d{3}[ ]\d{2}[ ]\d{4}|\d{9})\b", 0.2),
    )
    context_words = ("ssn", "social security", "ss#", "soc sec", "ss", "social")

    def validate(self, value: str) -> bool | None:
        # Only what the SSA never issues is rejected: a published example number (078-05-1120) written
        # after "SSN:" is still someone's number to a reader.
        digits = compact(value)
        area, group, serial = digits[:3], digits[3:5], digits[5:]
        return (
            False if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000" else None
        )


class NhsNumberRecognizer(Recognizer):
    entity = "NATIONAL_ID"
    patterns = ((r"\b(?P<phi>\d{3}[ -]?\d{3}[ -]?\d{4})\b", 0.3),)
    context_words = ("nhs", "nhs no", "nhs number", "chi", "nhs#")
    validated_score = 0.3  # many phone numbers pass the mod-11 check: the word "NHS" decides

    def validate(self, value: str) -> bool | None:
        return bool(nhs.is_valid(compact(value)))

    def score(self, text, start, end, base):
        return 0.95 if self.context_re.search(self.before(text, start)) else base


class SteuerIdRecognizer(Recognizer):
    entity = "NATIONAL_ID"
    patterns = ((r"\b(?P<phi>[1-9]\d[ ]?\d{3}[ ]?\d{3}[ ]?\d{3})\b", 0.45),)
    context_words = (
        "steuer",
        "steuer-id",
        "idnr",
        "identifikationsnummer",
        "tax id",
        "tin",
        "steueridentifikationsnummer",
    )
    validated_score = 0.45

    def validate(self, value: str) -> bool | None:
        return bool(idnr.is_valid(compact(value)))


class NirRecognizer(Recognizer):
    """French social security number (NIR), key checked."""

    entity = "NATIONAL_ID"
    patterns = ((r"\b(?P<phi>[12][ ]?\d{2}[ ]?\d{2}[ ]?(?:\d{2}|2A|2B)[ ]?\d{3}[ ]?\d{3}[ ]?\d{2})\b", 0.5),)

    def validate(self, value: str) -> bool | None:
        return bool(nir.is_valid(compact(value)))


class NationalIdRecognizer(Recognizer):
    """Other national ids announced by their label, and the UK National Insurance number."""

    entity = "NATIONAL_ID"
    patterns = (
        (
            labelled(
                r"national[ \t]+(?:id|insurance)|NI|NINO|SIN|personnummer|BSN|codice[ \t]+fiscale|DNI|NIE|"
                r"PESEL|NIR|INSEE|social[ \t]+insurance"
            ),
            0.7,
        ),
        (r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][ ]?\d{2}[ ]?\d{2}[ ]?\d{2}[ ]?[A-D]\b", 0.6),
    )
