"""Identifiers under any label, and identifier-shaped tokens with no label at all.

A label is recognised by what labels of identifiers are made of, in the deployment's languages ("No.",
"Nr.", "#", "ID", "-nummer", "numéro", "Ref", "Case", "Claim", "Policy", "Member", "Fall-", "Akten-",
"pratica"...), not by a list of whole labels: "Fall-Nr.", "Kundennummer:", "Versichertennr.",
"numero pratica", "ticket #" all read as labels. The specific recognizers (MRN, plan, account, licence)
type what they know; what is left is OTHER_ID.
"""

from __future__ import annotations

import regex

from .base import Recognizer

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
    rf"(?P<label>(?<![\w])(?:\p{{L}}[\p{{L}}'’-]*[ \t]+){{0,2}}"
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
