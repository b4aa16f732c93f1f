"""The registry of our recognizers: each a small class; add one here to put it to work."""

from .base import Recognizer
from .contact import (
    AddressLineRecognizer,
    AgeOver89Recognizer,
    CityStateZipRecognizer,
    DateElementRecognizer,
    FacilityRecognizer,
    PhoneFaxRecognizer,
    PlaceRecognizer,
    StreetAddressRecognizer,
)
from .identifiers import (
    AccountNumberRecognizer,
    BankIbanRecognizer,
    BiometricRecognizer,
    DeaRecognizer,
    DeviceRecognizer,
    EmailAddressRecognizer,
    HealthPlanRecognizer,
    IpAddressRecognizer,
    LicenseRecognizer,
    MrnRecognizer,
    NationalIdRecognizer,
    NhsNumberRecognizer,
    NirRecognizer,
    NpiRecognizer,
    OtherIdRecognizer,
    PaymentCardRecognizer,
    PlateRecognizer,
    SsnRecognizer,
    SteuerIdRecognizer,
    VinRecognizer,
    WebAddressRecognizer,
)
from .names import (
    CapsLastFirstRecognizer,
    CareVerbNameRecognizer,
    CredentialNameRecognizer,
    DictationNameRecognizer,
    LabelledNameRecognizer,
    NerNameRecognizer,
    RelativeNameRecognizer,
    TitledNameRecognizer,
)

RECOGNIZERS: tuple[type[Recognizer], ...] = (
    TitledNameRecognizer,
    LabelledNameRecognizer,
    CredentialNameRecognizer,
    RelativeNameRecognizer,
    CareVerbNameRecognizer,
    DictationNameRecognizer,
    CapsLastFirstRecognizer,
    NerNameRecognizer,
    AddressLineRecognizer,
    FacilityRecognizer,
    StreetAddressRecognizer,
    CityStateZipRecognizer,
    PlaceRecognizer,
    DateElementRecognizer,
    AgeOver89Recognizer,
    PhoneFaxRecognizer,
    EmailAddressRecognizer,
    WebAddressRecognizer,
    IpAddressRecognizer,
    SsnRecognizer,
    MrnRecognizer,
    HealthPlanRecognizer,
    AccountNumberRecognizer,
    LicenseRecognizer,
    NpiRecognizer,
    DeaRecognizer,
    VinRecognizer,
    PlateRecognizer,
    DeviceRecognizer,
    BiometricRecognizer,
    OtherIdRecognizer,
    BankIbanRecognizer,
    NhsNumberRecognizer,
    SteuerIdRecognizer,
    NirRecognizer,
    NationalIdRecognizer,
    PaymentCardRecognizer,
)

# Bumped whenever a recognizer changes what it finds; recorded with every redaction.
RECOGNIZER_VERSION = "2026.11.1"

# Recognizers whose names are certain enough to look for the same name elsewhere in the document.
NAME_SOURCES = {
    TitledNameRecognizer.__name__,
    LabelledNameRecognizer.__name__,
    CredentialNameRecognizer.__name__,
    RelativeNameRecognizer.__name__,
    CareVerbNameRecognizer.__name__,
}

__all__ = ["NAME_SOURCES", "RECOGNIZERS", "RECOGNIZER_VERSION", "Recognizer"]
