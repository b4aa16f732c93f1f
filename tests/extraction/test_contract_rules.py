"""The contract rules on phrasings they must read: parties by their defined terms, dates by their
grammar, an expiration stated or computed from the agreement's term. Texts written for these tests."""

from __future__ import annotations

import pytest

from extraction.builtin_schemas import CONTRACT
from extraction.dates import add_duration, date_mentions, parse_date
from extraction.grounding import ground
from extraction.rules import propose
from extraction.schemas import SchemaRef

SCHEMA = SchemaRef("contract", "1", CONTRACT)


def _rules(text: str):
    return propose("contract", text, SCHEMA.empty())


def _names(proposal) -> list[str]:
    return [" ".join(party["name"].split()) for party in proposal.data["parties"]]


@pytest.mark.parametrize(("written", "iso"), [
    ("March 18. 2021", "2021-03-18"),  # a full stop typed for the comma
    ("13/07/05", "2005-07-13"),  # only a day over 12 proves day-first order
    ("07/05/05", "2005-07-05"),  # otherwise US order, as before
    ("20 March day of 1998", "1998-03-20"),
])
def test_date_grammar(written, iso):
    assert parse_date(written) == iso


def test_a_day_first_date_needs_a_real_month():
    assert date_mentions("Date 13/13/05") == []


@pytest.mark.parametrize(("start", "years", "months", "end"), [
    ("2018-01-15", 10, 0, "2028-01-15"), ("2018-03-01", 0, 12, "2019-03-01"),
    ("2019-10-31", 0, 4, "2020-02-29"), ("2016-02-29", 1, 0, "2017-02-28"),
])
def test_a_term_ends_on_the_same_day_n_years_or_months_on(start, years, months, end):
    assert add_duration(start, years=years, months=months) == end


def test_parties_are_read_from_any_bracketed_defined_term():
    text = ("DISTRIBUTOR AGREEMENT\nAgreement made this 19th day of March, 2020\nBetween:\n"
            "Acme Widgets, Inc. (herein referred to as “Principal”)\nAnd\n"
            "Borealis Trading Ltd. (hereinafter called \u2018Distributor\u2019).\n"
            "The parties agree as follows:")
    assert _names(_rules(text)) == ["Acme Widgets, Inc.", "Borealis Trading Ltd."]


def test_a_party_right_after_another_and_a_person_named_for_services_are_found():
    text = ("SERVICES AGREEMENT\nThis Services Agreement is entered into on July 1, 2013 by and between "
            "Harbor Labs Inc. (“Harbor”), Harbor Labs Europe GmbH (“Harbor EU”), for services of "
            "Jane Q. Example (“Consultant”), and the Northfield Short Term Bond Fund, (the ”Fund\"). "
            "WHEREAS the parties wish to work together.")
    assert _names(_rules(text)) == ["Harbor Labs Inc.", "Harbor Labs Europe GmbH", "Jane Q. Example",
                                    "Northfield Short Term Bond Fund"]


def test_parties_come_from_the_restated_preamble_after_a_cover_page_and_contents():
    contents = "".join(f"{n}. Heading number {n} {n + 2}\n" for n in range(1, 40))
    text = ("ENDORSEMENT AGREEMENT\n\nentered into by and between\n\nJOHN EXAMPLE\n\nand\n\nACME GOLF INC\n\n"
            f"TABLE OF CONTENTS\n\n{contents}\nENDORSEMENT AGREEMENT\n\nTHIS ENDORSEMENT AGREEMENT is "
            "effective on this 21st day of February 2011, by and between Acme Golf\nIncorporated, a Delaware "
            "Corporation, having a mailing address of 1 Main St. (hereinafter\nreferred to as “Company”) and "
            "John Example, having a mailing address of 2 High Rd. (hereinafter referred to as “Golfer”).")
    assert _names(_rules(text)) == ["Acme Golf Incorporated", "John Example"]


def test_a_name_on_the_line_above_its_address_ends_at_that_line():
    text = ("SUPPLY AGREEMENT\nTHIS AGREEMENT is made on the 15th day of January 2018.\nBETWEEN: NORTHWIND "
            "PREPARATIONS INC.\n2nd Floor, Harbour House\nPort Town\n(\u2018the Manufacturer\u2019) "
            "of one part\nAND: SOUTHWIND HOLDING LIMITED\nUnit 5, 4F, Plaza\n(\u2018the Customer\u2019) "
            "of the other part.")
    assert _names(_rules(text)) == ["NORTHWIND PREPARATIONS INC.", "SOUTHWIND HOLDING LIMITED"]


def test_a_name_run_into_its_address_ends_at_its_company_form():
    text = ("SUPPLY AGREEMENT THIS AGREEMENT is made on the 15th day of January 2018. BETWEEN: NORTHWIND "
            "PREPARATIONS INC. 2nd Floor, Harbour House Port Town (\u2018the Manufacturer\u2019) of one part "
            "AND: SOUTHWIND HOLDING LIMITED Unit 5, 4F, Plaza Kowloon, Hong Kong (\u2018the Customer\u2019) "
            "of the other part.")
    assert _names(_rules(text)) == ["NORTHWIND PREPARATIONS INC.", "SOUTHWIND HOLDING LIMITED"]


def test_an_expiration_stated_in_the_term_clause_is_read_with_its_span():
    text = ("LICENSE AGREEMENT\nThis License Agreement is made on January 10, 2020 between Alpha LLC "
            "(“Alpha”) "
            "and Beta Corp. (“Beta”). The Licensee shall report by June 1, 2021.\n3. Term: This Agreement "
            "shall commence on March 15, 2020 and will be in effect until March 14. 2022, unless terminated "
            "earlier.")
    proposal = _rules(text)
    assert proposal.data["expiration_date"] == "2022-03-14"
    span = proposal.spans["/expiration_date"]
    assert text[span.start:span.end] == "March 14. 2022"


@pytest.mark.parametrize(("term", "expiration"), [
    ("This Agreement shall commence on the Effective Date and continue thereafter for a period of two (2) "
     "years, unless extended by written agreement.", "2009-01-22"),
    ("The term of the Franchise shall be twenty (20) years, commencing on January 1, 2008.", "2028-01-01"),
    ("This agreement is for a term of ten (10) years.", "2017-01-22"),
    ("The initial term of this Agreement shall commence on the Effective Date, and shall continue "
     "thereafter for a period of twelve (12) months (the “Initial Term”).", "2008-01-22"),
])
def test_an_expiration_is_computed_from_the_start_and_the_stated_term_and_left_ungrounded(term, expiration):
    text = ("SUPPLY AGREEMENT\nThis Supply Agreement is entered into as of January 22, 2007 (the “Effective "
            f"Date”) by and between Alpha LLC (“Alpha”) and Beta Corp. (“Beta”).\n2. Term. {term}\n"
            "3. Confidentiality. Each party shall keep the other's information secret for a period of five "
            "(5) years from the date of termination.")
    proposal = _rules(text)
    assert proposal.data["expiration_date"] == expiration
    # The text says no such date: no span, so grounding flags it rather than pointing anywhere.
    assert proposal.computed == {"/expiration_date"}
    assert "/expiration_date" not in proposal.spans
    assert ground(proposal.data, CONTRACT, text, known=proposal.spans).ungrounded == ["/expiration_date"]


def test_no_expiration_is_made_up_from_a_term_that_runs_from_some_other_event():
    text = ("CONTENT LICENSE AGREEMENT\nThis Content License Agreement is made on July 13, 2005 between "
            "Alpha "
            "LLC (“Alpha”) and Beta Corp. (“Beta”).\nTerm. Beta's obligations last for two (2) years after "
            "the Launch.")
    assert _rules(text).data["expiration_date"] is None


def test_an_agreement_dated_by_its_last_signature_takes_that_date():
    text = ("DISTRIBUTOR AGREEMENT\nThis Agreement between Alpha LLC (“Distributor”) and Beta Corp. (“Beta”) "
            "is entered into as of the date last written below (\"the Effective Date\").\n"
            "1. Term. This Agreement shall continue for two (2) years from the Effective Date.\n"
            "ALPHA LLC BETA CORP.\nBy: /s/ A. Person By: /s/ B. Person\n"
            "Date: 1/19/07\nDate: January 22, 2007\n")
    proposal = _rules(text)
    assert proposal.data["agreement_date"] == "2007-01-22"
    assert proposal.data["effective_date"] == "2007-01-22"
    assert proposal.data["expiration_date"] == "2009-01-22"


def test_an_amendment_is_named_with_the_agreement_it_amends():
    text = ("AMENDMENT NO. 3 TO THE NONEXCLUSIVE\nVALUE ADDED DISTRIBUTOR AGREEMENT\nThis Amendment No. 3 is "
            "made between Alpha LLC (“Alpha”) and Beta Corp. (“Beta”).")
    assert " ".join(_rules(text).data["document_name"].split()) == (
        "AMENDMENT NO. 3 TO THE NONEXCLUSIVE VALUE ADDED DISTRIBUTOR AGREEMENT")


def test_governing_law_is_read_when_laws_is_capitalised():
    text = ("SUPPLY AGREEMENT\n10. GOVERNING LAW\nThis agreement shall be governed by the Laws of England "
            "(English common and statutory Law).")
    assert _rules(text).data["governing_law"] == "England"


def test_a_term_that_commences_on_a_stated_day_dates_the_effective_date():
    text = ("FRANCHISE AGREEMENT\nThis Franchise Agreement is made on November 17, 2015 between Alpha LLC "
            "(“Alpha”) and Beta Corp. (“Beta”).\n4. Term. The term of the Franchise shall be twenty (20) "
            "years, commencing on January 1, 2016.")
    proposal = _rules(text)
    assert proposal.data["agreement_date"] == "2015-11-17"
    assert proposal.data["effective_date"] == "2016-01-01"
    span = proposal.spans["/effective_date"]
    assert text[span.start:span.end] == "January 1, 2016"
    assert proposal.data["expiration_date"] == "2036-01-01"


def _spans_say_their_names(text: str, proposal) -> bool:
    grounded = ground(proposal.data, CONTRACT, text, known=proposal.spans)
    names = {f"/parties/{index}/name": party["name"] for index, party in enumerate(proposal.data["parties"])}
    return not grounded.ungrounded and all(
        " ".join(text[proposal.spans[pointer].start:proposal.spans[pointer].end].split()) == name
        for pointer, name in names.items())


def test_parties_listed_between_without_defined_terms_are_found_and_descriptions_are_not():
    text = ("SPONSORSHIP AGREEMENT\nThis Agreement is made effective March 2, 2018, by and between Polar Tag "
            "Inc., a Delaware corporation, Northwind Traders LLC, doing business as Northwind Outdoor Supply "
            "Company, and the American Society of Kites Association. WHEREAS the parties wish to cooperate.")
    proposal = _rules(text)
    assert _names(proposal) == ["Polar Tag Inc.", "Northwind Traders LLC",
                                "American Society of Kites Association"]
    assert all(party["role"] is None for party in proposal.data["parties"])
    assert _spans_say_their_names(text, proposal)


def test_a_party_with_a_defined_term_is_not_listed_twice_from_the_preamble():
    text = ("LICENSE AGREEMENT\nThis License Agreement is entered into as of May 1, 2019 between "
            "Quill Media, Inc. (“Quill”) and Ferrous Robotics Corp. (“Licensee”). WHEREAS Quill codes.")
    assert _names(_rules(text)) == ["Quill Media, Inc.", "Ferrous Robotics Corp."]


def test_parties_a_form_names_only_by_role_are_read_from_its_signature_blocks():
    text = ("CONTENT LICENSE AGREEMENT\nThis Content License Agreement (“Agreement”) is between Lumen Music "
            "Group, Inc. (“Lumen”), and Distributor, as set forth below.\n1. Grant. Lumen grants Distributor "
            "a licence.\nIN WITNESS WHEREOF, the parties have executed this Agreement.\n\nDISTRIBUTOR\n"
            "ORCHARD VIEW MEDIA\nCOMMUNICATIONS LTD.\n\nBy: /s/ A. Person\nTitle PRESIDENT\n"
            "LUMEN MUSIC GROUP, INC.\nBy: /s/ B. Person\n")
    proposal = _rules(text)
    assert _names(proposal) == ["Lumen Music Group, Inc.", "ORCHARD VIEW MEDIA COMMUNICATIONS LTD."]
    assert _spans_say_their_names(text, proposal)


def test_signature_blocks_are_not_read_when_the_preamble_names_both_parties():
    text = ("SUPPLY AGREEMENT\nThis Supply Agreement is made on June 3, 2015 between Alder Foods Inc. "
            "(“Buyer”) and Birch Farms LLC (“Seller”).\nIN WITNESS WHEREOF the parties sign below.\n"
            "ACKNOWLEDGED: CEDAR BANK N.A.\nBy: /s/ C. Person\n")
    assert _names(_rules(text)) == ["Alder Foods Inc.", "Birch Farms LLC"]


def test_parties_are_listed_in_the_order_the_preamble_names_them_with_their_own_spans():
    text = ("SUPPLY AGREEMENT\nThis Supply Agreement is made on June 3, 2015 between Alder Foods Inc., a "
            "Delaware corporation, and Birch Farms LLC (“Seller”).\n")
    proposal = _rules(text)
    assert proposal.data["parties"] == [{"name": "Alder Foods Inc.", "role": None},
                                        {"name": "Birch Farms LLC", "role": "Seller"}]
    assert _spans_say_their_names(text, proposal)
    role = proposal.spans["/parties/1/role"]
    assert text[role.start:role.end] == "Seller" and "/parties/0/role" not in proposal.spans
