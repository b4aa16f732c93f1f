"""The registry of our recognizers: each a small class, one concern per module; add one here to put it
to work.

- ``names``: names by the words around them (titles, labels, credentials, kin, verbs of care, dictation)
  and spaCy's PERSON entities; ``listed_names``: names the public name lists know, lower-case names,
  lists of people; ``high_recall``: the clinical profile's pass over capitalised words no list knows.
- ``addresses``: street lines of fourteen countries, postal codes, towns, address blocks, facilities.
- ``dates``: dates in any notation and language, ages over 89.
- ``phones``: phone and fax numbers (libphonenumber).
- ``identifiers``: record, plan, account, licence, vehicle, device, biometric and any labelled id;
  ``national_ids``, ``payment``, ``web``: national ids, IBAN and cards, e-mail, URL and IP.
"""

from .addresses import (
    AddressLineRecognizer,
    AddressRecognizer,
    CityStateZipRecognizer,
    FacilityRecognizer,
    PlaceNameRecognizer,
    PlaceRecognizer,
    StreetAddressRecognizer,
)
from .base import Recognizer
from .dates import AgeOver89Recognizer, CompactDateRecognizer, DateElementRecognizer, MonthNameDateRecognizer
from .high_recall import UnknownCapitalisedWordRecognizer
from .identifiers import (
    AccountNumberRecognizer,
    BiometricRecognizer,
    DeaRecognizer,
    DeviceRecognizer,
    HealthPlanRecognizer,
    LabelledIdentifierRecognizer,
    LicenseRecognizer,
    MrnRecognizer,
    NpiRecognizer,
    OtherIdRecognizer,
    PlateRecognizer,
    UnlabelledIdentifierRecognizer,
    VinRecognizer,
)
from .listed_names import ListedNameRecognizer, LowerCaseNameRecognizer, PersonListRecognizer
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
from .national_ids import (
    NationalIdRecognizer,
    NhsNumberRecognizer,
    NirRecognizer,
    SsnRecognizer,
    SteuerIdRecognizer,
)
from .payment import BankIbanRecognizer, PaymentCardRecognizer
from .phones import PhoneNumberRecognizer
from .web import EmailAddressRecognizer, IpAddressRecognizer, WebAddressRecognizer

RECOGNIZERS: tuple[type[Recognizer], ...] = (
    TitledNameRecognizer,
    LabelledNameRecognizer,
    CredentialNameRecognizer,
    RelativeNameRecognizer,
    CareVerbNameRecognizer,
    DictationNameRecognizer,
    CapsLastFirstRecognizer,
    NerNameRecognizer,
    ListedNameRecognizer,
    LowerCaseNameRecognizer,
    PersonListRecognizer,
    UnknownCapitalisedWordRecognizer,
    AddressRecognizer,
    AddressLineRecognizer,
    FacilityRecognizer,
    StreetAddressRecognizer,
    CityStateZipRecognizer,
    PlaceRecognizer,
    PlaceNameRecognizer,
    DateElementRecognizer,
    CompactDateRecognizer,
    MonthNameDateRecognizer,
    AgeOver89Recognizer,
    PhoneNumberRecognizer,
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
    LabelledIdentifierRecognizer,
    UnlabelledIdentifierRecognizer,
    BankIbanRecognizer,
    NhsNumberRecognizer,
    SteuerIdRecognizer,
    NirRecognizer,
    NationalIdRecognizer,
    PaymentCardRecognizer,
)

# Bumped whenever a recognizer changes what it finds; recorded with every redaction.
RECOGNIZER_VERSION = "2026.11.2"

# Recognizers whose names are certain enough to look for the same name elsewhere in the document.
NAME_SOURCES = {
    TitledNameRecognizer.__name__,
    LabelledNameRecognizer.__name__,
    CredentialNameRecognizer.__name__,
    RelativeNameRecognizer.__name__,
    CareVerbNameRecognizer.__name__,
}

# Names and places guessed from word lists or the NER model: inside a company's name ("Bluewater
# Logistics GmbH", "Burke, Davies and Stokes Ltd") they are not redacted.
GUESSES = {
    NerNameRecognizer.__name__,
    ListedNameRecognizer.__name__,
    PersonListRecognizer.__name__,
    UnknownCapitalisedWordRecognizer.__name__,
    PlaceNameRecognizer.__name__,
    PlaceRecognizer.__name__,
}

# Run only in the clinical profile: contracts keep company names and defined terms readable.
HIGH_RECALL_ONLY = {UnknownCapitalisedWordRecognizer.__name__}

__all__ = ["GUESSES", "HIGH_RECALL_ONLY", "NAME_SOURCES", "RECOGNIZERS", "RECOGNIZER_VERSION", "Recognizer"]
