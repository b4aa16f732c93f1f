"""The schema registry: built-in schemas and custom ones (versioned rows of ``SchemaVersion``).

``get_schema(name)`` is how everything finds a schema; ``register_schema`` is how the admin and the API
add a custom one (always a new version: a schema an extraction used never changes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from docintel.errors import InputError

from .builtin_schemas import BUILTIN_SCHEMAS, BUILTIN_VERSION


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def schema_sha256(schema: dict) -> str:
    return hashlib.sha256(canonical_json(schema).encode()).hexdigest()


@dataclass(frozen=True)
class SchemaRef:
    """A schema as used by one extraction: its name, version and content."""

    name: str
    version: str
    schema: dict
    custom_id: int | None = None  # the SchemaVersion row, for custom schemas

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def errors(self, data) -> list[str]:
        """Where ``data`` breaks the schema: JSON paths and rule names, never the values (PHI)."""
        validator = Draft202012Validator(self.schema)
        return sorted(f"{error.json_path}: {error.validator}" for error in validator.iter_errors(data))

    def empty(self) -> dict:
        """The answer with every fact missing: null, or [] for arrays."""
        return {name: [] if _is_array(spec) else None for name, spec in self.schema["properties"].items()}


def _is_array(spec: dict) -> bool:
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


def get_schema(name: str, version: str | None = None) -> SchemaRef:
    from .models import SchemaVersion

    if name in BUILTIN_SCHEMAS:
        if version not in (None, BUILTIN_VERSION):
            raise InputError("unknown_schema", f"schema {name} has no version {version}")
        return SchemaRef(name, BUILTIN_VERSION, BUILTIN_SCHEMAS[name])
    rows = SchemaVersion.objects.filter(name=name)
    row = rows.filter(version=int(version)).first() if version and version.isdigit() else rows.first()
    if row is None:
        raise InputError("unknown_schema", f"no extraction schema named {name}"
                         + (f" with version {version}" if version else ""))
    return SchemaRef(row.name, str(row.version), row.schema, row.pk)


def schema_names() -> list[str]:
    from .models import SchemaVersion

    custom = SchemaVersion.objects.values_list("name", flat=True).distinct()
    return sorted(set(BUILTIN_SCHEMAS) | set(custom))


def register_schema(name: str, schema: dict, *, actor=None):
    """Add a custom schema as the next version of ``name``; returns the new ``SchemaVersion``."""
    from audit.actions import record_event

    from .models import SchemaVersion

    check_schema(name, schema)
    with transaction.atomic():
        latest = SchemaVersion.objects.select_for_update().filter(name=name).first()
        if latest is not None and latest.sha256 == schema_sha256(schema):
            return latest  # the same schema again: nothing new to version
        row = SchemaVersion(name=name, version=(latest.version + 1) if latest else 1, schema=schema,
                            created_by=actor)
        row.full_clean()
        row.save()
        record_event("extraction.schema_registered", actor=actor, purpose="configuration",
                     details={"schema": name, "version": row.version, "sha256": row.sha256})
    return row
