"""What one of our recognizers is: Presidio's ``EntityRecognizer`` with regex patterns whose ``phi`` group
(or whole match) is the entity, context words that raise or cancel the score, and an optional validation
(a checksum) that confirms or rejects a candidate.
"""

from __future__ import annotations

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult


class Recognizer(EntityRecognizer):
    # Our class names must not repeat Presidio's predefined ones: Presidio finds its recognizers by name
    # among all EntityRecognizer subclasses.
    """Subclass and set ``entity`` (a contract type) and ``patterns``; the class name is what
    ``recognizer`` reports for each span it finds."""

    name: str  # set by Presidio's __init__ (the class name unless given)
    entity: str = ""
    patterns: tuple[tuple[str, float], ...] = ()  # (regex, base score)
    flags: int = regex.IGNORECASE
    context_words: tuple[str, ...] = ()  # words shortly before a match that make it likelier
    negative_words: tuple[str, ...] = ()  # words around a match that mean it is something else
    context_window: int = 40
    context_boost: float = 0.4
    validated_score: float = 0.95

    def __init__(self, name: str | None = None) -> None:
        super().__init__(supported_entities=[self.entity], name=name or type(self).__name__)
        self.compiled = [(regex.compile(p, self.flags), s) for p, s in self.patterns]
        self.context_re = self._words(self.context_words)
        self.negative_re = self._words(self.negative_words)

    @staticmethod
    def _words(words):
        return (
            regex.compile(
                r"(?<![\w])(?:" + "|".join(regex.escape(w) for w in words) + r")(?![\w])", regex.IGNORECASE
            )
            if words
            else None
        )

    def load(self) -> None:  # Presidio hook: nothing to load
        pass

    def validate(self, value: str) -> bool | None:
        """True: certainly this entity (checksum passed); False: certainly not; None: no opinion."""
        return None

    def before(self, text: str, start: int) -> str:
        return text[max(0, start - self.context_window) : start]

    def score(self, text: str, start: int, end: int, base: float) -> float:
        window = self.before(text, start)
        if self.negative_re and self.negative_re.search(window + text[end : end + 15]):
            return 0.0
        if self.context_re and self.context_re.search(window):
            return min(1.0, base + self.context_boost)
        return base

    def spans(self, text: str):
        """Yield (start, end, score) candidates; overridden by recognizers that need more than regex."""
        for pattern, base in self.compiled:
            for match in pattern.finditer(text):
                start, end = match.span("phi") if "phi" in pattern.groupindex else match.span()
                if start == end:
                    continue
                valid = self.validate(text[start:end])
                if valid is False:
                    continue
                score = max(self.validated_score, base) if valid else base
                yield start, end, self.score(text, start, end, score)

    def analyze(self, text, entities=None, nlp_artifacts=None):
        return [self.result(start, end, score) for start, end, score in self.spans(text) if score > 0]

    def result(self, start: int, end: int, score: float, entity: str | None = None) -> RecognizerResult:
        return RecognizerResult(
            entity or self.entity,
            start,
            end,
            round(score, 3),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


# A label ("MRN", "Member ID #", "Acct No.:", a table's "| MRN | ...") and the identifier after it:
# letters/digits with inner
# dashes, slashes, dots or single spaces, at least one digit.
SEPARATOR = r"[ \t]*(?:(?:number|num|no|nr|id|code|#)\.?[ \t]*){0,2}[:#=.|]?[ \t]*(?:is[ \t]+)?"
IDENTIFIER = r"(?P<phi>(?=[A-Z0-9-]*\d)[A-Z0-9](?:[A-Z0-9]|[-/.](?=[A-Z0-9])|[ ](?=\d)){3,24}(?<=[A-Z0-9]))"


def labelled(labels: str) -> str:
    """A pattern for an identifier that follows one of the ``labels`` (a regex alternation)."""
    return rf"(?<![\w])(?:{labels}){SEPARATOR}{IDENTIFIER}(?![\w])"
