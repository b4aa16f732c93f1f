"""Numbers that identify a person: record, plan, account, licence, vehicle, device, national ids..."""

from __future__ import annotations

import ipaddress

from stdnum import iban, luhn
from stdnum.de import idnr
from stdnum.fr import nir
from stdnum.gb import nhs

from .base import Recognizer, labelled


def _compact(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum()).upper()


class MrnRecognizer(Recognizer):
    entity = "MRN"
    patterns = (
        (
            labelled(
                r"MRN|MR|MR\#|med(?:ical)?[ \t]+rec(?:ord)?s?|hosp(?:ital)?|chart|record|"
                r"patient[ \t]+id|pt[ \t]+id|EMPI|PMI"
            ),
            0.85,
        ),
        (r"\bMRN\d{5,12}\b", 0.9),
        # "Pt: John Smith (Z4953493)": the record number in brackets after the patient's name.
        (
            r"(?i:patient|pt)\b[ \t:]+[A-Z][^\n(]{2,60}\((?P<phi>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{4,14})\)",
            0.75,
        ),
    )


class HealthPlanRecognizer(Recognizer):
    entity = "HEALTH_PLAN_ID"
    patterns = (
        (
            labelled(
                r"member|subscriber|policy|group|grp|insurance|ins|plan|beneficiary|medicare|medicaid|"
                r"MBI|HICN|medicare[ \t]+beneficiary|health[ \t]+plan|payer|BCBS|coverage"
            ),
            0.8,
        ),
        # Medicare Beneficiary Identifier format (CMS), with or without dashes.
        (
            r"\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?"
            r"[AC-HJKMNP-RT-Y]{2}\d{2}\b",
            0.6,
        ),
    )
    flags = 0 | Recognizer.flags
    context_words = ("medicare", "mbi", "insurance", "member", "plan")


class AccountNumberRecognizer(Recognizer):
    entity = "ACCOUNT_NUMBER"
    patterns = ((labelled(r"account|acct|acc|a/c|billing[ \t]+account|bank[ \t]+account|invoice"), 0.85),)


class NpiRecognizer(Recognizer):
    """US National Provider Identifier: 10 digits, Luhn over the 80840 prefix."""

    entity = "LICENSE_NUMBER"
    patterns = ((r"\b(?P<phi>[12]\d{9})\b", 0.3),)
    context_words = ("npi", "provider")

    def validate(self, value: str) -> bool | None:
        return None if luhn.is_valid("80840" + value) else False


class DeaRecognizer(Recognizer):
    """DEA registration: two letters, seven digits, the last a checksum."""

    entity = "LICENSE_NUMBER"
    flags = 0
    patterns = ((r"\b(?P<phi>[ABCDEFGHJKLMPRSTUX][A-Z9]\d{7})\b", 0.5),)
    context_words = ("dea",)

    def validate(self, value: str) -> bool | None:
        d = [int(c) for c in value[2:]]
        return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6] or False


class LicenseRecognizer(Recognizer):
    entity = "LICENSE_NUMBER"
    patterns = (
        (
            labelled(
                r"licen[cs]e|lic|driver'?s[ \t]+licen[cs]e|(?-i:DL)|certificate|cert|GMC|NMC|HCPC|"
                r"registration[ \t]+no|board[ \t]+cert(?:ification)?|NPI|DEA|state[ \t]+licen[cs]e"
            ),
            0.85,
        ),
    )
    negative_words = ("plate",)

    def score(self, text, start, end, base):
        # "license plate 7ABC123" is a vehicle, not a licence.
        return (
            0.0
            if "plate" in text[max(0, start - 20) : start].lower()
            else super().score(text, start, end, base)
        )


class VinRecognizer(Recognizer):
    entity = "VEHICLE_ID"
    flags = 0
    patterns = ((r"\b(?P<phi>[A-HJ-NPR-Z0-9]{17})\b", 0.3),)
    context_words = ("vin", "vehicle", "car", "truck", "chassis")
    _values = dict(
        zip(
            "ABCDEFGHJKLMNPRSTUVWXYZ",
            (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
            strict=True,
        )
    )
    _weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

    def validate(self, value: str) -> bool | None:
        if value.isdigit() or value.isalpha():
            return False
        total = sum(
            (int(c) if c.isdigit() else self._values[c]) * w
            for c, w in zip(value, self._weights, strict=True)
        )
        check = "X" if total % 11 == 10 else str(total % 11)
        return True if value[8] == check else None  # a VIN outside North America may carry no check digit


class PlateRecognizer(Recognizer):
    entity = "VEHICLE_ID"
    patterns = (
        (
            r"(?<![\w])(?:licen[cs]e[ \t]+plate|plate|reg(?:istration)?[ \t]+plate|tag|VIN)[ \t]*"
            r"(?:number|no|#)?\.?[ \t]*[:#]?[ \t]*(?:\([^)\n]{0,20}\)[ \t]*)?"
            r"(?P<phi>(?=[A-Z0-9 -]*\d)[A-Z0-9]{1,4}[ -]?[A-Z0-9]{1,5}(?:[ -]?[A-Z0-9]{1,4})?)(?![\w])",
            0.8,
        ),
        (r"(?<![\w])(?:MA|NY|CA|TX|FL)[ \t]+reg[ \t]+plate[ \t]+(?P<phi>[A-Z0-9]{2,8})\b", 0.8),
    )


class DeviceRecognizer(Recognizer):
    entity = "DEVICE_ID"
    patterns = (
        (
            labelled(
                r"serial|S/N|SN|device[ \t]+(?:id|serial)|UDI|IMEI|MEID|transmitter|implant[ \t]+id|"
                r"(?:RA|RV|LV)[ \t]+(?:serial|S/N)"
            ),
            0.85,
        ),
        (r"\bSN-\d{3,}[-A-Z0-9]*\b", 0.8),
        (r"\(01\)\d{14}(?:\(\d{2}\)[A-Z0-9]+)*", 0.9),  # GS1 UDI
        (
            r"(?:transmitter|monitor|pump|meter|sensor|aid|pacemaker|ICD|defibrillator|device)[ \t]+"
            r"(?:serial[ \t]+)?(?P<phi>(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z][A-Z0-9-]{5,20})\b",
            0.7,
        ),
    )


class BiometricRecognizer(Recognizer):
    entity = "BIOMETRIC_ID"
    patterns = (
        (
            r"(?:biometric|fingerprint|finger[ \t]+print|retina[l]?|iris|voice[ \t]?print|palm[ \t]?print|"
            r"facial|face[ \t]+template)[^\n]{0,30}?(?:id|#|no\.?|number|template)[ \t]*[:#]?[ \t]*"
            r"(?P<phi>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,24})\b",
            0.85,
        ),
    )


class OtherIdRecognizer(Recognizer):
    entity = "OTHER_ID"
    patterns = (
        (
            labelled(
                r"accession|specimen|encounter|visit|case|claim|passport|requisition|order|FIN|CSN|"
                r"episode|study[ \t]+id|ref(?:erence)?|sample|barcode|employee|badge|student|"
                r"patient[ \t]+portal|portal[ \t]+id|booking|confirmation|id"
            ),
            0.75,
        ),
        (r"\b[A-Z]{1,3}\d{0,2}-\d{2}-\d{3,7}\b", 0.5),
    )  # accession style: SP-23-018877


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
        digits = _compact(value)
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
        return bool(nhs.is_valid(_compact(value)))

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
        return bool(idnr.is_valid(_compact(value)))


class NirRecognizer(Recognizer):
    """French social security number (NIR), key checked."""

    entity = "NATIONAL_ID"
    patterns = ((r"\b(?P<phi>[12][ ]?\d{2}[ ]?\d{2}[ ]?(?:\d{2}|2A|2B)[ ]?\d{3}[ ]?\d{3}[ ]?\d{2})\b", 0.5),)

    def validate(self, value: str) -> bool | None:
        return bool(nir.is_valid(_compact(value)))


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


class BankIbanRecognizer(Recognizer):
    entity = "IBAN"
    flags = 0
    patterns = ((r"\b(?P<phi>[A-Z]{2}\d{2}[ ]?(?:[A-Z0-9]{4}[ ]?){2,7}[A-Z0-9]{1,4})\b", 0.5),)

    def validate(self, value: str) -> bool | None:
        # The pattern may run one group too far ("... 00 Bank"): the engine trims by validation below.
        return bool(iban.is_valid(_compact(value)))

    def spans(self, text):
        for pattern, _base in self.compiled:
            for match in pattern.finditer(text):
                start, end = match.span("phi")
                while end > start + 15:
                    if iban.is_valid(_compact(text[start:end])):
                        yield start, end, 1.0
                        break
                    end = text.rfind(" ", start, end) if " " in text[start:end] else start


class PaymentCardRecognizer(Recognizer):
    entity = "CREDIT_CARD"
    patterns = ((r"\b(?P<phi>(?:\d[ -]?){12,18}\d)\b", 0.3),)
    context_words = ("card", "visa", "mastercard", "amex", "credit", "debit", "cc")
    validated_score = 0.9

    def validate(self, value: str) -> bool | None:
        digits = _compact(value)
        return bool(13 <= len(digits) <= 19 and digits[0] in "3456" and luhn.is_valid(digits))


class EmailAddressRecognizer(Recognizer):
    entity = "EMAIL"
    patterns = ((r"\b[A-Z0-9._%+'-]+@[A-Z0-9.-]+\.[A-Z]{2,}\b", 0.95),)


class WebAddressRecognizer(Recognizer):
    entity = "URL"
    patterns = (
        (r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]+[^\s<>\"'()\[\].,;:!?]", 0.9),
        (
            r"(?<![@\w.])[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.(?:com|org|net|edu|gov|io|info|biz|health|co\.uk|org\.uk|"
            r"nhs\.uk|de|fr|nl|ca|au)(?:/[^\s<>\"'()]*[^\s<>\"'().,;:!?])?(?![\w@])",
            0.6,
        ),
    )


class IpAddressRecognizer(Recognizer):
    entity = "IP_ADDRESS"
    patterns = (
        (r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)", 0.6),
        (r"(?<![\w:])(?:[0-9A-F]{0,4}:){2,7}[0-9A-F]{0,4}(?![\w:])", 0.6),
    )
    context_words = ("ip", "address", "host", "connected", "server", "login")

    def validate(self, value: str) -> bool | None:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return None if ":" not in value or value.count(":") >= 2 else False
