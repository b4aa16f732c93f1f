"""The schema registry: built-in schemas and custom ones (versioned rows of ``SchemaVersion``).

``get_schema(name)`` is how everything finds a schema; ``register_schema`` is how the admin and the API
add a custom one (always a new version: a schema an extraction used never changes).
"""

from __future__ import annotations

from django.db import transaction

from audit.actions import record_event
from docintel.errors import InputError

from .builtin_schemas import BUILTIN_SCHEMAS, BUILTIN_VERSION
from .json_schema import SchemaRef, check_schema, schema_sha256
from .models import SchemaVersion


def get_schema(name: str, version: str | None = None) -> SchemaRef:
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
    custom = SchemaVersion.objects.values_list("name", flat=True).distinct()
    return sorted(set(BUILTIN_SCHEMAS) | set(custom))


def register_schema(name: str, schema: dict, *, actor=None):
    """Add a custom schema as the next version of ``name``; returns the new ``SchemaVersion``."""
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
