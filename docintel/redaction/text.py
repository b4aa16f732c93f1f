"""Redacting text: find the entities, then replace each with a typed placeholder or a pseudonym.

Offsets in ``Redaction.entities`` are Python string indices into the ORIGINAL text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError

from .engine import Entity, Rules, get_engine
from .entities import ENTITY_TYPES, count_types
from .models import AllowListEntry, CustomRecognizer, DenyListEntry, RedactionPolicy
from .pseudonyms import Pseudonymizer

logger = logging.getLogger(__name__)

MODES = ("placeholder", "pseudonym")


@dataclass
class Redaction:
    redacted_text: str
    entities: list[Entity]
    mode: str

    def entity_dicts(self) -> list[dict]:
        return [e.as_dict() for e in self.entities]

    def counts(self) -> dict[str, int]:
        return count_types(entity.type for entity in self.entities)


def load_rules(profile: str | None = None) -> Rules:
    """The deployment's rules: settings first, then what an admin added (models.py); ``profile`` as
    given, or the setting's."""
    threshold = settings.REDACTION_THRESHOLD
    allow = {term.strip().lower() for term in settings.REDACTION_ALLOW if term.strip()}
    deny = [parse_deny_entry(entry) for entry in settings.REDACTION_DENY if entry.strip()]
    custom = []
    try:
        policy = RedactionPolicy.objects.order_by("-updated").first()
        if policy and policy.score_threshold is not None:
            threshold = policy.score_threshold
        allow |= {term.lower() for term in AllowListEntry.objects.values_list("term", flat=True)}
        deny += list(DenyListEntry.objects.values_list("term", "entity_type"))
        custom = [rule.recognizer() for rule in CustomRecognizer.objects.filter(enabled=True)]
    except DatabaseError:  # database not migrated yet (a bare CLI run): settings still apply
        logger.warning("redaction rules table unavailable; using settings only")
    return Rules(
        threshold=threshold,
        allow=frozenset(allow),
        deny=tuple(deny),
        custom=tuple(custom),
        profile=profile or settings.REDACTION_PROFILE,
    )


def parse_deny_entry(entry: str) -> tuple[str, str]:
    """``"TERM"`` or ``"TYPE:TERM"`` (e.g. ``NAME:Dr Gregory House``); untyped terms are OTHER_ID."""
    kind, sep, term = entry.partition(":")
    if sep and kind.strip().upper() in ENTITY_TYPES:
        return term.strip(), kind.strip().upper()
    return entry.strip(), "OTHER_ID"


def find_entities(texts: list[str], rules: Rules | None = None) -> list[list[Entity]]:
    return get_engine().find_many(texts, rules or load_rules())


def apply(text: str, entities: list[Entity], mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    surrogates = Pseudonymizer() if mode == "pseudonym" else None
    parts, position = [], 0
    for entity in entities:  # sorted, non-overlapping (engine.merge)
        parts.append(text[position : entity.start])
        original = text[entity.start : entity.end]
        parts.append(surrogates.surrogate(entity.type, original) if surrogates else f"[{entity.type}]")
        position = entity.end
    parts.append(text[position:])
    return "".join(parts)


def redact_many(
    texts: list[str], *, mode: str = "placeholder", rules: Rules | None = None
) -> list[Redaction]:
    """Redact a batch (one spaCy pass over all of them: the fast path for many notes)."""
    return [
        Redaction(apply(text, entities, mode), entities, mode)
        for text, entities in zip(texts, find_entities(texts, rules), strict=True)
    ]


def redact_text(text: str, *, mode: str = "placeholder", rules: Rules | None = None) -> Redaction:
    return redact_many([text], mode=mode, rules=rules)[0]
