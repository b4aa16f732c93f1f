"""Plain-text uploads: the encoding is detected, newlines normalised, the text otherwise kept."""

from __future__ import annotations

import pytest

from docintel.parsing import ParseError, parse_file

NOTE = "Patient: Zoë Müller\nSeen on 3 März 2024 \u2013 follow-up in 2 weeks.\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / "note.txt"
    path.write_bytes(NOTE.replace("\n", "\r\n").encode(encoding))
    parsed = parse_file(path, "text/plain")
    assert parsed.text == NOTE
    assert parsed.page_offsets == [0]
    assert parsed.warnings == []


def test_nul_and_control_characters_are_dropped_but_tabs_and_form_feeds_kept(tmp_path):
    path = tmp_path / "note.txt"
    path.write_bytes(b"Dose:\t5 mg\x00\x1b\rNext page\x0cend\n")
    assert parse_file(path, "text/plain").text == "Dose:\t5 mg\nNext page\x0cend\n"


@pytest.mark.parametrize(("name", "data", "media_type", "code"), [
    ("empty.txt", b"", "text/plain", "empty_file"),
    ("archive.gz", b"\x1f\x8b\x08", "application/gzip", "unsupported_type"),
    ("image.png", b"\x89PNG\r\n", "image/png", "image_corrupt"),
])
def test_unusable_files_are_errors_with_a_code(tmp_path, name, data, media_type, code):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ParseError) as failure:
        parse_file(path, media_type)
    assert failure.value.code == code
