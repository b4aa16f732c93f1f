"""CSV cells that a spreadsheet will not run as formulas (OWASP "CSV Injection").

Excel, LibreOffice and Google Sheets treat a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and,
in some versions, a tab or a carriage return before one of them) as a formula: a document's text or a
user name could then run ``=HYPERLINK(...)`` or DDE commands on the reader's machine. Every CSV that
docintel writes (extraction downloads, audit exports) passes its cells through ``neutral_cell``.

The rule, as OWASP recommends: such a cell gets one apostrophe in front, which spreadsheets show as
text. A cell that already begins with an apostrophe gets one too, so that the change can be undone
exactly: ``original_cell`` removes one leading apostrophe, and nothing else ever starts with one. The
audit export's offline verifier (``audit/verify_export.py``, which must run without Django) applies
that same one-line inverse before it recomputes hashes.
"""

from __future__ import annotations

# What makes a spreadsheet read a cell as a formula, plus the escape character itself.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def neutral_cell(value: str) -> str:
    """``value`` as a CSV cell no spreadsheet evaluates; reversible with ``original_cell``."""
    if value.startswith(FORMULA_STARTS) or value.startswith(ESCAPE):
        return ESCAPE + value
    return value


def original_cell(cell: str) -> str:
    """The value ``neutral_cell`` was given."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


def neutral_row(values) -> list:
    """A row for ``csv.writer``: text cells neutralised, numbers (which cannot be formulas) kept."""
    return [neutral_cell(value) if isinstance(value, str) else value for value in values]
