"""Clause review of real CUAD contracts through ``extract``: all 41 categories, evidence that is whole
sentences of the text, clause keys filled from it, risk flags, reviewers' verdicts, and clause_eval."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from extraction.actions import correct_field
from extraction.clauses.categories import CATEGORIES, SCHEMA_KEYS
from extraction.clauses.classifier import shipped
from extraction.clauses.risks import risk_flags
from extraction.clauses.segment import segment
from extraction.export import extraction_record, result_record
from extraction.extractor import extract
from extraction.schemas import get_schema
from tests.conftest import CORPUS, FIXTURES
from tests.factories import ExtractionFactory, make_user

CONTRACTS = sorted((FIXTURES / "contracts" / "txt").glob("*.txt"))


@pytest.fixture(scope="module")
def reviewed():
    schema = get_schema("contract")
    found = []
    for path in CONTRACTS:
        text = path.read_text(encoding="utf-8")
        found.append((text, result_record(path.stem, extract(text, schema, mode="rules"))))
    return found


@pytest.mark.django_db
def test_every_category_is_reviewed_with_grounded_sentence_evidence(reviewed):
    names = {category.name for category in CATEGORIES}
    for text, record in reviewed:
        assert set(record["clauses"]) == names
        sentences = {(u.start, u.end) for u in segment(text) if u.kind == "sentence"}
        for name, finding in record["clauses"].items():
            assert finding["present"] in (True, False, None)
            assert 0.0 <= finding["confidence"] <= 1.0
            for span in finding["evidence"]:
                assert 0 <= span["start"] < span["end"] <= len(text)
                if not CATEGORIES[[c.name for c in CATEGORIES].index(name)].metadata:
                    assert (span["start"], span["end"]) in sentences, name  # whole sentences, never headings


@pytest.mark.django_db
def test_schema_clause_keys_are_the_review_evidence(reviewed):
    for text, record in reviewed:
        for key, name in SCHEMA_KEYS.items():
            finding, value = record["clauses"][name], record["data"][key]
            if finding["present"] is True:
                span = record["grounding"][f"/{key}"][0]
                assert value == text[span["start"]:span["end"]]
                assert span in finding["evidence"]
            else:
                assert value is None


@pytest.mark.django_db
def test_risk_flags_carry_the_evidence_of_their_clauses(reviewed):
    for _, record in reviewed:
        assert record["risks"] == risk_flags(record["clauses"])
        for flag in record["risks"]:
            for name in flag["categories"]:
                assert record["clauses"][name]["present"] is True


def test_shipped_classifier_knows_every_reviewed_category():
    model = shipped()
    assert set(model.categories) == {c.name for c in CATEGORIES if not c.metadata}
    assert model.present.shape == (len(model.categories),)
    assert (model.uncertain <= model.present).all()


@pytest.mark.django_db
def test_reviewers_confirm_and_correct_clauses():
    clauses = {c.name: {"present": False, "evidence": [], "value": None, "confidence": 0.9}
               for c in CATEGORIES}
    extraction = ExtractionFactory(clauses=clauses)
    reviewer = make_user("reviewer")
    correct_field(extraction, "/clauses/Rofr~1Rofo~1Rofn/present", True, actor=reviewer)
    correct_field(extraction, "/clauses/Non-Compete/present", actor=reviewer, confirm=True)
    record = extraction_record(extraction)
    assert record["clauses"]["Rofr/Rofo/Rofn"]["present"] is False  # the review output stays as it was
    assert [(c["pointer"], c["status"], c["value"]) for c in record["corrections"]] == [
        ("/clauses/Rofr~1Rofo~1Rofn/present", "corrected", True),
        ("/clauses/Non-Compete/present", "confirmed", False)]
    from docintel.errors import InputError

    with pytest.raises(InputError):
        correct_field(extraction, "/clauses/Non-Compete/present", "maybe", actor=reviewer)


@pytest.mark.django_db
def test_clause_eval_cross_validates_by_contract(capsys):
    call_command("clause_eval", str(CORPUS / "labels.jsonl"), "--format", "txt", "--limit", "6",
                 "--folds", "2", "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary["contracts"] == 6 and summary["folds"] == 2
    for method in ("keyword", "rules", "classifier", "hybrid"):
        figures = summary["methods"][method]
        assert len(figures["categories"]) == 41
        assert figures["schema_keys"]["tp"] + figures["schema_keys"]["fn"] > 0


def test_presence_threshold_sits_in_the_middle_of_the_gap():
    from extraction.clauses.training import _best_threshold

    threshold = _best_threshold([0.1, 0.2, 0.6, 0.8], [False, False, True, True])
    assert 0.35 <= threshold <= 0.45  # any threshold in (0.2, 0.6] is perfect here; the middle is kept


def test_the_shipped_classifier_keeps_its_evidence_shares(tmp_path):
    from extraction.clauses.classifier import ClauseClassifier

    model = shipped()
    assert model.evidence_share is not None and len(model.evidence_share) == len(model.categories)
    model.save(tmp_path / "copy.npz")
    again = ClauseClassifier.load(tmp_path / "copy.npz")
    assert list(again.evidence_share) == list(model.evidence_share)


def test_the_evidence_count_is_kept_in_the_artefact_and_bounds_the_evidence(tmp_path):
    from dataclasses import replace

    import numpy as np

    from extraction.clauses.classifier import ClauseClassifier
    from extraction.clauses.review import review_clauses

    model = shipped()
    assert len(model.counts()) == len(model.categories)
    text = CONTRACTS[0].read_text(encoding="utf-8")
    # Everything present, every sentence a candidate: the count alone decides how many are shown.
    eager = replace(model, present=np.zeros_like(model.present), uncertain=np.zeros_like(model.uncertain),
                    evidence_share=np.zeros_like(model.shares()),
                    evidence_count=np.arange(len(model.categories)) % 5 + 1,
                    evidence_neighbours=np.zeros_like(model.neighbours()))  # no neighbours added
    eager.save(tmp_path / "eager.npz")
    again = ClauseClassifier.load(tmp_path / "eager.npz")
    assert list(again.counts()) == list(eager.counts())
    review = review_clauses(text, classifier=again)
    for column, name in enumerate(again.categories):
        assert len(review.findings[name].evidence) == column % 5 + 1, name


def test_the_evidence_count_follows_how_many_clauses_the_training_contracts_mark():
    import numpy as np

    from extraction.clauses.cuad import GoldClause
    from extraction.clauses.segment import segment
    from extraction.clauses.training import LabelledContract, _best_evidence

    text = " ".join(f"Sentence number {n} of this contract says one thing." for n in range(8))
    units = segment(text)
    marked = [1, 4, 6]  # the clause is marked in three places; the scores rank them first
    gold = {"Exclusivity": [GoldClause("Exclusivity", units[i].start, units[i].end) for i in marked]}
    contract = LabelledContract("c", text, units, gold, {"Exclusivity": True})
    scores = np.array([0.3 if i not in marked else 0.9 - 0.1 * marked.index(i) for i in range(len(units))])
    share, count, neighbours = _best_evidence([(contract, scores, scores)], "Exclusivity", 0.5)
    assert neighbours == 0.0  # the marked sentences are not next to each other: no neighbours needed
    assert count == 3 and share <= 0.7  # all three marked sentences and none of the rest


def test_a_category_never_found_in_training_stays_absent():
    from extraction.clauses.training import _best_threshold

    assert _best_threshold([0.3, 0.4], [False, False]) >= 0.98  # no positive: never present


@pytest.mark.parametrize(("sentence", "look_alike"), [
    ("Licensor grants Distributor a non-exclusive, non-transferable licence to use the Marks.", True),
    ("Strategic Programs may not be made on an exclusive basis.", True),
    ("Nothing herein shall grant the Reseller any exclusive right in any territory.", True),
    ("Company appoints Distributor as its exclusive distributor of the Products in the Territory.", False),
    # a clause that says both: the exclusive dealing is still there
    ("Licensor grants a non-exclusive licence, and Distributor shall purchase the Products exclusively "
     "from Licensor.", False),
    ("The parties shall meet quarterly.", False),
])
def test_exclusivity_look_alikes_are_the_negated_phrasings_only(sentence, look_alike):
    from extraction.clauses.categories import BY_NAME

    assert BY_NAME["Exclusivity"].look_alike(sentence) is look_alike


def test_a_look_alike_ranks_below_the_clause_as_evidence_but_is_shown_when_nothing_else_is():
    import numpy as np

    from extraction.clauses.classifier import LOOK_ALIKE_WEIGHT, evidence_ranking

    text = ("Licensor grants Distributor a non-exclusive licence to the Marks. Company appoints Distributor "
            "as its exclusive distributor in the Territory. The parties shall meet quarterly.")
    units = [u for u in segment(text) if u.kind == "sentence"]
    assert len(units) == 3
    scores = np.array([0.9, 0.7, 0.1], dtype=np.float32)
    ranked = evidence_ranking("Exclusivity", text, units, scores)
    assert ranked[0] == pytest.approx(0.9 * LOOK_ALIKE_WEIGHT) and list(ranked[1:]) == list(scores[1:])
    assert int(np.argmax(ranked)) == 1
    # other categories rank by their scores alone
    assert list(evidence_ranking("Non-Compete", text, units, scores)) == list(scores)


def test_the_bagged_threshold_stays_in_the_gap_and_never_finds_an_unseen_category():
    from extraction.clauses.training import _bagged_threshold

    scores = [0.1, 0.15, 0.2, 0.25, 0.6, 0.7, 0.8, 0.9]
    truth = [False] * 4 + [True] * 4
    assert 0.25 < _bagged_threshold(scores, truth) <= 0.6  # every resample is separated in that gap
    assert _bagged_threshold([0.3, 0.4], [False, False]) >= 0.98
    # a positive contract scored among the negatives does not drag the threshold down to it
    noisy = [0.12, 0.2, 0.22, 0.25, 0.27, 0.6, 0.7, 0.8, 0.9]
    labels = [False, True, False, False, False, True, True, True, True]
    assert _bagged_threshold(noisy, labels) > 0.27


def _eager(model, **thresholds):
    """The shipped classifier made to find every category (threshold 0), but for ``thresholds``:
    {category: (present, uncertain)}."""
    from dataclasses import replace

    import numpy as np

    present, uncertain = np.zeros_like(model.present), np.zeros_like(model.uncertain)
    for name, (high, low) in thresholds.items():
        column = model.categories.index(name)
        present[column], uncertain[column] = high, low
    return replace(model, present=present, uncertain=uncertain)


def test_a_notice_to_stop_renewal_needs_a_renewal():
    from extraction.clauses.review import review_clauses

    text = CONTRACTS[0].read_text(encoding="utf-8")
    notice = "Notice Period To Terminate Renewal"
    both = review_clauses(text, classifier=_eager(shipped()))
    assert both.findings["Renewal Term"].present is True and both.findings[notice].present is True
    absent = review_clauses(text, classifier=_eager(shipped(), **{"Renewal Term": (2.0, 2.0)}))
    assert absent.findings["Renewal Term"].present is False
    assert absent.findings[notice].present is False and absent.findings[notice].evidence == []
    doubtful = review_clauses(text, classifier=_eager(shipped(), **{"Renewal Term": (2.0, 0.0)}))
    assert doubtful.findings["Renewal Term"].present is None
    assert doubtful.findings[notice].present is None  # left to the reviewer, with its evidence
    assert doubtful.findings[notice].evidence == both.findings[notice].evidence


def test_a_non_exclusive_grant_does_not_make_exclusivity_present():
    from extraction.clauses.classifier import LOOK_ALIKE_WEIGHT
    from extraction.clauses.review import review_clauses

    grant = "Licensor grants Distributor a non-exclusive, non-transferable licence to use the Marks."
    dealing = "Company appoints Distributor as its exclusive distributor of the Products in the Territory."
    model = shipped()
    column = model.categories.index("Exclusivity")
    raw = float(model.scores(grant, segment(grant))[:, column].max())
    # a threshold the grant's own score reaches, its look-alike weight does not
    threshold = raw * (1 + LOOK_ALIKE_WEIGHT) / 2
    strict = _eager(model, Exclusivity=(threshold, threshold))
    assert review_clauses(grant, classifier=strict).findings["Exclusivity"].present is False
    found = review_clauses(f"{grant} {dealing}", classifier=_eager(model, Exclusivity=(
        min(threshold, float(model.scores(dealing, segment(dealing))[:, column].max())), 0.0)))
    assert found.findings["Exclusivity"].present is True


def test_a_clause_of_two_sentences_is_shown_whole_when_the_training_contracts_mark_it_so():
    import numpy as np

    from extraction.clauses.classifier import evidence_rows
    from extraction.clauses.cuad import GoldClause
    from extraction.clauses.training import LabelledContract, _best_evidence

    text = " ".join(f"Sentence number {n} of this contract says one thing." for n in range(8))
    units = segment(text)
    # the clause is sentences 3 and 4, marked as two parts; the second scores lower than unrelated 6
    gold = {"Exclusivity": [GoldClause("Exclusivity", units[i].start, units[i].end) for i in (3, 4)]}
    contract = LabelledContract("c", text, units, gold, {"Exclusivity": True})
    scores = np.array([0.05, 0.05, 0.1, 0.9, 0.4, 0.1, 0.5, 0.05])
    assert evidence_rows(scores, units, 1, 0.6) == [3]
    assert evidence_rows(scores, units, 1, 0.6, 0.5) == [3, 4]  # 0.4 >= 0.5 x 0.6; 2 (0.1) is not
    _, count, neighbours = _best_evidence([(contract, scores, scores)], "Exclusivity", 0.6)
    assert neighbours == 0.5 and count == 1
