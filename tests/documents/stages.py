"""Stages used only by the pipeline tests, configured through DOCINTEL_PIPELINE_STAGES.

They record each run and each completion as lines in files under the data dir, so that a test (or a
worker in another process) can count how often a stage ran and finished.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings

from docintel.documents.pipeline.base import Stage
from docintel.errors import ServiceUnavailable


def marker(name: str) -> Path:
    return Path(settings.DATA_DIR) / f"test-stage-{name}"


def count(name: str) -> int:
    path = marker(name)
    return len(path.read_text().splitlines()) if path.exists() else 0


def _append(name: str, line: str) -> None:
    with open(marker(name), "a") as handle:
        handle.write(line + "\n")


class SlowStage(Stage):
    """Sleeps long enough for a test to kill the worker in the middle of it."""

    def run(self, document) -> None:
        _append("slow-started", str(document.pk))
        time.sleep(float(os.environ.get("DOCINTEL_TEST_SLOW_STAGE_S", "6")))
        _append("slow-finished", str(document.pk))


class FlakyServiceStage(Stage):
    """Fails as if a model server were down while the marker file ``service-down`` exists."""

    def run(self, document) -> None:
        _append("flaky-attempts", str(document.pk))
        if marker("service-down").exists():
            raise ServiceUnavailable("llm_unavailable", "the model server did not answer")
