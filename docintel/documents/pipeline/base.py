"""What a pipeline stage is, and how the configured stages are found.

A stage is a small class with a ``name`` and ``run(document)``. It reads what earlier stages stored,
stores its own output, and raises a ``DocintelError`` for a failure a person can act on:
``InputError`` (the file is the problem: not retried) or ``ServiceUnavailable`` (retried with backoff).
Running a stage twice must give the same result: a worker can die mid-stage and the stage runs again.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


class Stage:
    name: str = ""

    def applies_to(self, document) -> bool:
        """False to skip this stage for this document (recorded as ``skipped``)."""
        return True

    def run(self, document) -> None:
        raise NotImplementedError


def configured_stages() -> tuple[Stage, ...]:
    return _load_stages(tuple(settings.PIPELINE_STAGES))


@cache
def _load_stages(entries: tuple[str, ...]) -> tuple[Stage, ...]:
    stages = []
    for entry in entries:
        name, _, dotted = (part.strip() for part in entry.partition(":"))
        stage = import_string(dotted)()
        stage.name = name
        stages.append(stage)
    return tuple(stages)


def stage_names() -> list[str]:
    return [stage.name for stage in configured_stages()]


def get_stage(name: str) -> Stage:
    for stage in configured_stages():
        if stage.name == name:
            return stage
    raise KeyError(name)


def next_stage_name(name: str) -> str | None:
    names = stage_names()
    index = names.index(name)
    return names[index + 1] if index + 1 < len(names) else None
