"""``manage.py parse``: one JSON line per file, the text in DIR/<stem>.txt, bad files reported, not fatal."""

from __future__ import annotations

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.parsing.conftest import CONTRACT_IDS, CONTRACTS


def parse(*args: str) -> tuple[list[dict], str]:
    out, err = StringIO(), StringIO()
    call_command("parse", *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_contracts_and_bad_files_each_get_a_json_line(tmp_path):
    pdf = CONTRACTS / "pdf" / f"{CONTRACT_IDS[0]}.pdf"
    txt = tmp_path / "note.txt"
    txt.write_text("Seen today.\r\n", encoding="utf-8")
    missing = tmp_path / "missing.pdf"
    records, _ = parse(str(pdf), str(txt), str(missing), "--out", str(tmp_path / "out"), "--json")

    contract, note, error = records
    assert contract == {"id": pdf.stem, "pages": 8, "chars": contract["chars"],
                        "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest(), "warnings": [],
                        "ocr_pages": []}
    written = (tmp_path / "out" / f"{pdf.stem}.txt").read_text(encoding="utf-8")
    assert len(written) == contract["chars"] > 30_000
    assert note["pages"] == 1
    assert (tmp_path / "out" / "note.txt").read_text(encoding="utf-8") == "Seen today.\n"
    assert error == {"id": "missing", "error": {"code": "not_found", "message": "no such file"}}


def test_warnings_are_reported_with_code_and_message(tmp_path, hostile_files):
    records, _ = parse(str(hostile_files["javascript"]), "--out", str(tmp_path), "--json")
    assert records[0]["warnings"] == [{"code": "active_content",
                                       "message": "the file contains JavaScript, launch actions (never run)"}]


def test_the_command_fails_as_a_whole_only_when_every_file_failed(tmp_path, hostile_files):
    with pytest.raises(CommandError):
        parse(str(hostile_files["zero-bytes"]), str(hostile_files["not-a-pdf"]), "--out", str(tmp_path))


def test_without_json_a_summary_line_per_file(tmp_path, hostile_files):
    out, err = StringIO(), StringIO()
    call_command("parse", str(hostile_files["javascript"]), str(hostile_files["zero-bytes"]), "--out",
                 str(tmp_path), stdout=out, stderr=err)
    assert out.getvalue().strip() == "javascript: 1 pages, 64 chars (active_content)"
    assert err.getvalue().strip() == "zero-bytes: empty_file: the file is empty"


def test_an_unusable_output_folder_fails_the_command_with_a_sentence(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match="cannot create the output folder"):
        parse(str(CONTRACTS / "pdf" / f"{CONTRACT_IDS[0]}.pdf"), "--out", str(blocker / "out"))
