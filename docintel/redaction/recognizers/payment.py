"""Bank accounts (IBAN, checked) and payment cards (Luhn-checked)."""

from __future__ import annotations

from stdnum import iban, luhn

from .base import Recognizer
from .national_ids import compact


class BankIbanRecognizer(Recognizer):
    entity = "IBAN"
    flags = 0
    patterns = ((r"\b(?P<phi>[A-Z]{2}\d{2}[ ]?(?:[A-Z0-9]{4}[ ]?){2,7}[A-Z0-9]{1,4})\b", 0.5),)

    def validate(self, value: str) -> bool | None:
        # The pattern may run one group too far ("... 00 Bank"): the engine trims by validation below.
        return bool(iban.is_valid(compact(value)))

    def spans(self, text):
        for pattern, _base in self.compiled:
            for match in pattern.finditer(text):
                start, end = match.span("phi")
                while end > start + 15:
                    if iban.is_valid(compact(text[start:end])):
                        yield start, end, 1.0
                        break
                    end = text.rfind(" ", start, end) if " " in text[start:end] else start


class PaymentCardRecognizer(Recognizer):
    entity = "CREDIT_CARD"
    patterns = ((r"\b(?P<phi>(?:\d[ -]?){12,18}\d)\b", 0.3),)
    context_words = ("card", "visa", "mastercard", "amex", "credit", "debit", "cc")
    validated_score = 0.9

    def validate(self, value: str) -> bool | None:
        digits = compact(value)
        return bool(13 <= len(digits) <= 19 and digits[0] in "3456" and luhn.is_valid(digits))
