"""What a parse returns, and how it fails."""

from __future__ import annotations

from dataclasses import dataclass, field

from docintel.errors import InputError


class ParseError(InputError):
    """The file cannot be turned into text: the code says why (``pdf_encrypted``, ``parse_timeout``…)."""

    default_code = "parse_failed"


@dataclass
class ParsedText:
    text: str
    page_offsets: list[int]  # where each page starts in ``text``
    warnings: list[dict] = field(default_factory=list)  # [{"code", "message"}]
    # Pages read by OCR: {"ocr_pages": [n...], "pages": {"<n>": {"confidence", "quarter_turns", "skew",
    # "words": [[start, end, x0, y0, x1, y1, confidence]]}}}, offsets into ``text``, boxes 0..1 of the page.
    layout: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return len(self.page_offsets)


def warning(code: str, message: str) -> dict:
    return {"code": code, "message": message}


# A page with fewer letters and digits than this has no usable text layer (a scanner's page number or
# stamp is not the page's text): OCR reads it when it holds a picture.
MIN_TEXT_CHARS = 20


def pages_without_text(pages: list[str]) -> list[int]:
    """Numbers (from 1) of the pages whose text layer is missing or too thin to be the page's text."""
    return [number for number, page in enumerate(pages, start=1)
            if sum(ch.isalnum() for ch in page) < MIN_TEXT_CHARS]


def no_text_layer(numbers: list[int], total: int) -> dict:
    """The warning naming pages without a text layer; ``pages`` lists them for the OCR stage."""
    return {**warning("no_text_layer", f"{len(numbers)} of {total} pages have no text (scanned images?): "
                      f"pages {page_list(numbers)}"), "pages": numbers}


def page_list(numbers: list[int], shown: int = 20) -> str:
    listed = ", ".join(str(n) for n in numbers[:shown])
    return listed + (f" and {len(numbers) - shown} more" if len(numbers) > shown else "")


def pages_needing_ocr(warnings: list[dict]) -> list[int]:
    for item in warnings:
        if item.get("code") == "no_text_layer":
            return list(item.get("pages", []))
    return []
