"""Forms nobody listed: one case per generalisation class of issue 11 (international phones, addresses
of fourteen countries, postal codes and towns alone, bare and lower-case names, people in lists,
identifiers under unforeseen labels, compact dates, ages over 89 in any notation), with the words that
must stay readable next to them (drugs, eponyms, lab lines, contract parties).

The values were written for these tests; none is taken from an evaluation source."""

from __future__ import annotations

import pytest

from docintel.redaction.engine import Rules
from docintel.redaction.recognizers import PhoneNumberRecognizer
from docintel.redaction.text import redact_text

CLINICAL = Rules(threshold=0.35, profile="clinical")
CONTRACT = Rules(threshold=0.35, profile="contract")

# (class, text, the PHI that must not show)
FOUND = [
    ("phone", "Rückruf unter 0711 2345 678 erbeten.", "0711 2345 678"),
    ("phone", "Ring (02) 9374 4000 after nine.", "(02) 9374 4000"),
    ("phone", "Office +1-415-555-2671x204, ask for the clerk.", "+1-415-555-2671x204"),
    ("phone", "Joignable au 04-72-10-33-58 le matin.", "04-72-10-33-58"),
    ("phone", "mobil +45 20 31 44 58", "+45 20 31 44 58"),
    ("phone", "Fax: +31 (0)20 555 1234", "+31 (0)20 555 1234"),
    ("address", "She moved to Kastanienallee 12, 10435 Berlin last spring.", "Kastanienallee 12"),
    ("address", "She moved to Kastanienallee 12, 10435 Berlin last spring.", "10435"),
    ("address", "Envoyer à 14 bis, avenue des Tilleuls, 69003 LYON, France", "14 bis, avenue des Tilleuls"),
    ("address", "Envoyer à 14 bis, avenue des Tilleuls, 69003 LYON, France", "LYON"),
    ("address", "Residenza: Via dei Mille 48, 20129 Milano", "Via dei Mille 48"),
    ("address", "Home: Calle de Toledo, 77, 28005 Madrid", "28005"),
    ("address", "Adres: Prinsengracht 263, 1016 GV Amsterdam", "1016 GV"),
    ("address", "Morada: Rua das Flores 28, 4050-262 Porto", "4050-262"),
    ("address", "Bydliště: Vinohradská 112, 130 00 Praha 3", "130 00"),
    ("address", "ul. Długa 5, 80-827 Gdańsk", "80-827"),
    ("address", "Adress: Storgatan 7, 411 38 Göteborg", "Storgatan 7"),
    ("address", "Adresse: Nørrebrogade 44, 2200 København N", "Nørrebrogade 44"),
    ("address", "Wohnhaft Mariahilfer Straße 88/4, 1070 Wien", "Mariahilfer Straße 88/4"),
    ("address", "Domicile: Bahnhofstrasse 3, CH-8001 Zürich", "CH-8001"),
    ("address", "Flat 2, 19 Marlborough Road, Bristol BS6 5NH", "BS6 5NH"),
    ("address", "4420 Quail Hollow Ct, Unit 3, Eau Claire, WI 54701", "4420 Quail Hollow Ct"),
    ("address", "Pfarrweg 9, Apt. 4, OBERNDORF, Austria 5110", "OBERNDORF"),
    ("town", "He grew up in Grand Rapids and now lives in Bad Ischl.", "Grand Rapids"),
    ("town", "He grew up in Grand Rapids and now lives in Bad Ischl.", "Bad Ischl"),
    ("bare first name", "Gunnhild lives on the second floor.", "Gunnhild"),
    ("lower-case name", "spoke with mr. hallworth about the results", "hallworth"),
    ("lower-case name", "seen w/ daughter ingeborg this morning", "ingeborg"),
    ("names in a list", "Present: Odalys Fenwright; Bertil Quarnström; Ysolde Ambrecht", "Bertil Quarnström"),
    ("unforeseen label", "Schadennummer: SN-2291-77410", "SN-2291-77410"),
    ("unforeseen label", "Mitgliedsnr. 88120455", "88120455"),
    ("unforeseen label", "numéro de dossier 2024/118832", "2024/118832"),
    ("unforeseen label", "Beneficiary ref QX77105523", "QX77105523"),
    ("compact date", "DOB: 19291103", "19291103"),
    ("month name", "geboren am 3. Oktober 1930", "3. Oktober 1930"),
    ("age over 89", "Mrs Pellworth (94) attended with her son.", "94"),
    ("age over 89", "Die 96-jährige Patientin lebt allein.", "96"),
    ("age over 89", "who turned 101 last week", "101"),
]


@pytest.mark.parametrize(("kind", "text", "phi"), FOUND, ids=[f"{k}:{p}" for k, _, p in FOUND])
def test_a_form_nobody_listed_is_redacted(engine, kind, text, phi):
    redaction = redact_text(text, rules=CLINICAL)
    start = text.index(phi)
    covered = {i for e in redaction.entities for i in range(e.start, e.end)}
    visible = [text[i] for i in range(start, start + len(phi)) if i not in covered and not text[i].isspace()]
    assert not visible, f"{kind}: {phi!r} shows in {redaction.redacted_text!r}"


KEPT = [
    (
        "drug",
        "Started Eliquis 5 mg bd and Lasix 40 mg mane; Keppra continued.",
        ["Eliquis", "Lasix", "Keppra"],
    ),
    (
        "eponym",
        "Known Parkinson's disease, Hashimoto thyroiditis and Barrett oesophagus.",
        ["Parkinson", "Hashimoto", "Barrett"],
    ),
    (
        "lab line",
        "Haemoglobin 128 g/L (130-170), eGFR 52 mL/min/1.73m2, CRP 14 mg/L",
        ["128", "130-170", "52"],
    ),
    ("codes", "ICD-10 I48.91 and N18.3; CPT 99214 and 93000.", ["I48.91", "99214", "93000"]),
    ("vitals", "BP 128/72, RR 18, HR 88, SpO2 95% on 2L.", ["128/72", "RR 18"]),
    (
        "headings",
        "RADIOLOGY REPORT\nFINDINGS: no focal consolidation.\nIMPRESSION: normal.",
        ["RADIOLOGY", "FINDINGS"],
    ),
    ("age under 90", "A 67-year-old man (67) with his 89-year-old mother.", ["67", "89"]),
]


@pytest.mark.parametrize(("kind", "text", "words"), KEPT, ids=[k for k, _, _ in KEPT])
def test_clinical_vocabulary_stays_readable(engine, kind, text, words):
    redaction = redact_text(text, rules=CLINICAL)
    for word in words:
        start = text.index(word)
        hits = [e for e in redaction.entities if e.start < start + len(word) and e.end > start]
        assert not hits, (
            f"{kind}: {word!r} redacted as {[h.type for h in hits]} in {redaction.redacted_text!r}"
        )


CONTRACT_TEXT = (
    "This Distribution Agreement is made between NORTHWIND TRADERS, INC., a Delaware corporation "
    '("Supplier"), and Bluewater Logistics GmbH ("Distributor"). Distributor shall purchase the Products '
    "exclusively from Supplier for ninety (90) days. Notices to Supplier: attention Margaret Okafor, "
    "General Counsel."
)


def test_contracts_keep_parties_roles_and_clauses(engine):
    redaction = redact_text(CONTRACT_TEXT, rules=CONTRACT)
    for kept in (
        "NORTHWIND TRADERS, INC.",
        "Bluewater Logistics GmbH",
        "Supplier",
        "Distributor",
        "ninety (90) days",
    ):
        assert kept in redaction.redacted_text, redaction.redacted_text
    assert "Okafor" not in redaction.redacted_text  # a natural person is still personal data


def test_the_clinical_profile_catches_capitalised_words_no_list_knows(engine):
    text = "Visited by Quennevaux and Thorbjarnardottir on the ward."
    assert "Quennevaux" not in redact_text(text, rules=CLINICAL).redacted_text
    assert "Thorbjarnardottir" not in redact_text(text, rules=CLINICAL).redacted_text


def test_phone_regions_narrow_what_counts_as_a_number():
    """A deployment that serves only Germany does not read a German-shaped number as a US one, and the
    other way round (DOCINTEL_REDACTION_PHONE_REGIONS)."""
    text = "Rückruf 0711 2345 678"

    def found(regions):
        return [
            text[s:e] for s, e, score in PhoneNumberRecognizer(regions=regions).spans(text) if score >= 0.35
        ]

    assert found(("DE",)) == ["0711 2345 678"]
    assert found(("US",)) == []
