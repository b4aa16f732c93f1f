# ruff: noqa: E501  (patterns and word lists read better unbroken)
"""Numbers that identify a person or a record: medical record, plan, account, licence, vehicle, device,
biometric ids, and identifiers under any label or shaped like one.

The generic pair at the end catches what the typed recognizers do not know. A label is recognised by
what labels of identifiers are made of in the deployment's languages ("No.", "Nr.", "#", "ID",
"-nummer", "numéro", "Ref", "Case", "Claim", "Policy", "Member", "Fall-", "Akten-", "pratica"...), not by
a list of whole labels: "Fall-Nr.", "Kundennummer:", "Versichertennr.", "numero pratica", "ticket #" all
read as labels.
"""

from __future__ import annotations

import regex
from stdnum import luhn

from .base import Recognizer, labelled


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


LABEL_PART = (
    r"acc|id|ids|no|nos|nr|nro|num|number|numbers|nummer|numero|número|numéro|n°|nº|no\.|#|code|ref|refs|reference|"
    r"key|ident|identifier|kennung|kennzeichen|zeichen|číslo|čís|cislo|numer|nummern|acct|account|konto|"
    r"policy|police|polizza|póliza|apólice|claim|claims|case|file|dossier|ticket|order|member|patient|pt|"
    r"client|customer|kunde|kunden|fall|akte|akten|aktenzeichen|vorgang|vorgangsnummer|pratica|expediente|"
    r"processo|invoice|rechnung|factura|fattura|contract|vertrag|badge|passport|pass|permit|registration|"
    r"serial|record|records|chart|episode|visit|encounter|booking|confirmation|tracking|voucher|certificate|"
    r"requisition|accession|specimen|sample|lab|study|subject|participant|employee|staff|student|user|login|"
    r"username|tax|vat|steuer|versicherten|versicherung|versichertennr|insurance|mitglied|matricola|"
    r"tessera|carte|karte|card|sin|ssn|nhs|nin|bsn|pesel|cpr|dni|nie|nif|nss|afm|amka|cf|mrn|fin|csn|empi|pmi|"
    r"reg|regnr|kdnr|kd|auftrag|beleg|quittung|bestell|bestellnummer"
)
LABEL = (
    rf"(?P<label>(?<![\w])(?:\p{{L}}[\p{{L}}'\u2019-]*[ \t]+){{0,2}}"
    rf"(?:[\p{{L}}-]*(?:nummer|nr|zeichen|kennung|-no|-id)|(?:{LABEL_PART}))\.?)(?![\p{{L}}])"
    r"[ \t]*(?:(?:[:#=]|n[°º]\.?)[ \t]*){0,2}(?:is[ \t]+)?"
)
# An identifier: letters and digits with inner dashes, slashes, dots or single spaces; enough digits.
IDENT = r"(?P<phi>(?=[A-Z0-9/.-]*\d)[A-Z0-9](?:[A-Z0-9]|[-/.](?=[A-Z0-9])|[ ](?=\d{2,})){2,30}(?<=[A-Z0-9]))"
SHAPED = r"(?P<phi>(?:[A-Z]{1,4}[-/]?)?\d(?:[\d]|[-/.](?=\d)){5,24}(?:[-/]?[A-Z]{1,3})?|(?=[A-Z0-9-/]*\d{4})(?=[A-Z0-9-/]*[A-Z])[A-Z0-9](?:[A-Z0-9]|[-/](?=[A-Z0-9])){5,24})"


def digits(value: str) -> int:
    return sum(c.isdigit() for c in value)


class LabelledIdentifierRecognizer(Recognizer):
    entity = "OTHER_ID"
    flags = regex.IGNORECASE
    patterns = ((rf"(?<![\w]){LABEL}{IDENT}(?![\w]|[.,]\d)", 0.7),)

    def spans(self, text):
        for pattern, base in self.compiled:
            for match in pattern.finditer(text):
                value = match.group("phi")
                # Three digits under a label are enough ("Room 4" is not a label; "Bed 12" has no part of one).
                if digits(value) < 3 or regex.fullmatch(r"\d{1,2}(?:[.,]\d+)?", value):
                    continue
                yield match.start("phi"), match.end("phi"), base


class UnlabelledIdentifierRecognizer(Recognizer):
    """A token shaped like an identifier wherever it stands: six or more digits ("9452615"), or letters
    and at least four digits ("AHS6009680784", "G14-96519", "EB/116774"). Doses, lab values, codes and
    years have fewer digits, decimals or units; dates and phone numbers are found (and typed) elsewhere."""

    entity = "OTHER_ID"
    flags = 0
    patterns = ((rf"(?<![\w/.,-]){SHAPED}(?![\w]|[.,/]\d)", 0.45),)

    def spans(self, text):
        for start, end, score in super().spans(text):
            value = text[start:end]
            if regex.fullmatch(r"(?:19|20)\d{2}[-/.]\d{2,4}", value):  # "2023-2024" season, "2019/20"
                continue
            if regex.fullmatch(r"[A-Z]\d{2}\.\d{1,4}[A-Z]?", value):  # an ICD-10 code: "S72.001A"
                continue
            if not regex.search(r"[A-Z]", value) and (digits(value) < 6 or regex.fullmatch(r"\d{1,4}-\d{1,4}", value)):
                continue  # "128/72", "5-10-20", a range "130-170"
            if regex.match(r"[ \t]*(?:mg|mcg|ml|g|kg|units?|iu|mmol|µmol|umol|x10|/l|copies|cells|%)", text[end : end + 8], regex.I):
                continue
            yield start, end, score
