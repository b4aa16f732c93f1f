"""The entity types redaction reports (contract §3), and how other vocabularies map onto them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

ENTITY_TYPES = (
    "NAME",
    "ADDRESS",
    "DATE",
    "AGE_OVER_89",
    "PHONE",
    "FAX",
    "EMAIL",
    "SSN",
    "MRN",
    "HEALTH_PLAN_ID",
    "ACCOUNT_NUMBER",
    "LICENSE_NUMBER",
    "VEHICLE_ID",
    "DEVICE_ID",
    "URL",
    "IP_ADDRESS",
    "BIOMETRIC_ID",
    "OTHER_ID",
    "IBAN",
    "NATIONAL_ID",
    "CREDIT_CARD",
)

# Presidio's entity names (predefined recognizers and its spaCy NER mapping) -> contract types.
# Anything not listed (NRP, ORGANIZATION, ...) is not PHI under Safe Harbor and is dropped.
PRESIDIO_TO_CONTRACT = {
    "PERSON": "NAME",
    "LOCATION": "ADDRESS",
    "DATE_TIME": "DATE",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "US_SSN": "SSN",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "CREDIT_CARD",
    "IP_ADDRESS": "IP_ADDRESS",
    "URL": "URL",
    "UK_NHS": "NATIONAL_ID",
    "US_DRIVER_LICENSE": "LICENSE_NUMBER",
    "MEDICAL_LICENSE": "LICENSE_NUMBER",
    "US_BANK_NUMBER": "ACCOUNT_NUMBER",
    "US_PASSPORT": "OTHER_ID",
    "US_ITIN": "OTHER_ID",
    "CRYPTO": "ACCOUNT_NUMBER",
}

# When two spans overlap, the union is redacted under the type of the higher-priority one: specific,
# validated identifiers beat generic guesses (a NHS number is not "a phone number").
PRIORITY = {
    name: rank
    for rank, name in enumerate(
        reversed(
            (
                "IBAN",
                "CREDIT_CARD",
                "NATIONAL_ID",
                "SSN",
                "EMAIL",
                "URL",
                "IP_ADDRESS",
                "VEHICLE_ID",
                "DEVICE_ID",
                "BIOMETRIC_ID",
                "MRN",
                "HEALTH_PLAN_ID",
                "ACCOUNT_NUMBER",
                "LICENSE_NUMBER",
                "FAX",
                "PHONE",
                "AGE_OVER_89",
                "DATE",
                "OTHER_ID",
                "ADDRESS",
                "NAME",
            )
        )
    )
}


def to_contract_type(name: str) -> str | None:
    if name in ENTITY_TYPES:
        return name
    return PRESIDIO_TO_CONTRACT.get(name)


def count_types(types: Iterable[str]) -> dict[str, int]:
    """How many entities of each type (the audit event and the document page show these, never text)."""
    return dict(Counter(types))
