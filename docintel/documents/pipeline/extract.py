"""Extract stage (placeholder until the extraction package lands)."""

from .base import Stage


class ExtractStage(Stage):
    name = "extract"

    def run(self, document) -> None:
        return None
