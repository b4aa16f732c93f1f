"""JSON Schemas as extraction uses them, with no database: whether a schema is usable, its canonical text
and fingerprint, and ``SchemaRef`` (the exact schema one extraction was validated against).

The registry that finds schemas by name (built-in and custom versions) is ``extraction.schemas``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .builtin_schemas import BUILTIN_SCHEMAS


def schema_text(schema: dict) -> str:
    """The one text form of a schema: what prompts show the model and what ``schema_sha256`` hashes."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def schema_sha256(schema: dict) -> str:
    return hashlib.sha256(schema_text(schema).encode()).hexdigest()


@dataclass(frozen=True)
class SchemaRef:
    """A schema as used by one extraction: its name, version and content."""

    name: str
    version: str
    schema: dict
    custom_id: int | None = None  # the SchemaVersion row, for custom schemas
    # Set on a schema narrowed for a model (``extractor._open_fields``): the fields it asks, and whose
    # sections of the document the model reads.
    narrowed_to: frozenset[str] | None = None

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def errors(self, data) -> list[str]:
        """Where ``data`` breaks the schema: JSON paths and rule names, never the values (PHI)."""
        validator = Draft202012Validator(self.schema)
        return sorted(f"{error.json_path}: {error.validator}" for error in validator.iter_errors(data))

    def empty(self) -> dict:
        """The answer with every fact missing: null, or [] for arrays."""
        return {name: [] if is_array(spec) else None for name, spec in self.schema["properties"].items()}


def is_array(spec: dict) -> bool:
    kind = spec.get("type")
    return kind == "array" or (isinstance(kind, list) and "array" in kind)


def check_schema(name: str, schema) -> None:
    """Raise ``ValidationError`` unless ``schema`` is a usable JSON Schema for an extraction."""
    if name in BUILTIN_SCHEMAS:
        raise ValidationError(f"{name!r} is a built-in schema name")
    if not isinstance(schema, dict) or schema.get("type") != "object" or not schema.get("properties"):
        raise ValidationError("an extraction schema must be an object with properties")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise ValidationError(f"not a valid JSON Schema: {error.message}") from None
