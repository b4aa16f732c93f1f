"""``manage.py redact`` (contract §4 format) and ``manage.py redaction_eval`` on the gold notes."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from docintel.redaction.pdf import render_text_pdf

from .conftest import GOLD

NOTE = "Pt: SMITH, JOHN  MRN 00482913\nSeen 03/14/2023 by Dr. Alvarez. BP 128/76.\n"


def run(*args) -> list[dict]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_jsonl_records_in_the_contract_format(engine, db, tmp_path):
    source = tmp_path / "notes.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "text": NOTE}),
                "this line is not json",
                json.dumps({"id": "b", "text": "Zoë Åkesson, tel +44 20 7946 0958 🙂"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    records = run("redact", "--jsonl", str(source), "--json")
    assert [r["id"] for r in records] == ["a", "notes:2", "b"]
    first, bad, unicode = records
    assert set(first) == {"id", "redacted_text", "entities"}
    assert first["redacted_text"].startswith("Pt: [NAME], [NAME]  MRN [MRN]")
    for entity in first["entities"]:
        assert set(entity) == {"type", "start", "end", "score", "recognizer"}
    assert {NOTE[e["start"] : e["end"]] for e in first["entities"]} >= {
        "SMITH",
        "JOHN",
        "00482913",
        "03/14/2023",
    }
    assert bad["error"]["code"] == "bad_record"
    text = "Zoë Åkesson, tel +44 20 7946 0958 🙂"
    assert {text[e["start"] : e["end"]] for e in unicode["entities"]} >= {"Zoë Åkesson", "+44 20 7946 0958"}


def test_txt_and_pdf_files_and_pseudonyms(engine, db, tmp_path):
    (tmp_path / "note.txt").write_text(NOTE, encoding="utf-8")
    (tmp_path / "letter.pdf").write_bytes(render_text_pdf(NOTE, title="Clinic letter"))
    records = {
        r["id"]: r
        for r in run(
            "redact",
            str(tmp_path / "note.txt"),
            str(tmp_path / "letter.pdf"),
            str(tmp_path / "missing.txt"),
            "--json",
            "--mode",
            "pseudonym",
        )
    }
    assert records["missing"]["error"]["code"] == "not_found"
    for record in (records["note"], records["letter"]):
        assert "SMITH" not in record["redacted_text"] and "00482913" not in record["redacted_text"]
        assert "[MRN-1]" in record["redacted_text"]
    note = records["note"]
    assert {NOTE[e["start"] : e["end"]] for e in note["entities"]} >= {"SMITH", "Alvarez"}


def test_sample_notes_redact(engine, db):
    records = run("redact", str(GOLD / "samples"), "--json")
    assert len(records) >= 3 and all("redacted_text" in r for r in records)


@pytest.mark.parametrize("split", ["tune", "heldout"])
def test_eval_recall_and_f2_beat_presidio_default(engine, db, split):
    report = run("redaction_eval", str(GOLD / f"{split}.jsonl"), "--json")[0]
    ours, baseline = report["docintel"], report["presidio-default"]
    assert ours["recall"] >= 0.98
    assert ours["f2"] > baseline["f2"] + 0.1
    assert set(ours["recall_by_type"]) >= {"NAME", "MRN", "DATE", "ADDRESS"}
