"""Attacker-controlled PDFs: each gets text or a clear error code, in bounded time, in a child process."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import pytest

from docintel.documents.models import Document
from docintel.parsing import ParseError, parse_file
from docintel.parsing.sandbox import Limits, run_isolated
from tests.conftest import ROOT, worker_environment
from tests.parsing.hostile import HOSTILE, slow

SECONDS_PER_FILE = 20


def outcome_is_acceptable(expected: dict, *, error: str | None, warnings: set[str]) -> bool:
    if error is not None:
        return error in expected["errors"]
    return "warnings" in expected and expected["warnings"] <= warnings


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE))
def test_each_hostile_pdf_gets_text_or_a_clear_error_in_bounded_time(name, hostile_files):
    started = time.monotonic()
    error, warnings = None, set()
    try:
        parsed = parse_file(hostile_files[name], "application/pdf")
        warnings = {w["code"] for w in parsed.warnings}
    except ParseError as failure:
        error = failure.code
    assert time.monotonic() - started < SECONDS_PER_FILE
    assert outcome_is_acceptable(HOSTILE[name][1], error=error, warnings=warnings), (error, warnings)
    # The parent, its database connection included, is untouched by whatever the child went through.
    assert Document.objects.count() == 0


def test_readable_hostile_files_still_give_their_text(hostile_files):
    for name in ("encrypted-empty-password", "javascript", "javascript-escaped-name", "truncated-tail"):
        assert "governed by the laws of the State of Delaware" in parse_file(
            hostile_files[name], "application/pdf").text


def test_a_file_too_slow_to_parse_is_stopped_at_the_time_limit(tmp_path, settings):
    settings.PARSE_TIMEOUT_S = 2
    path = tmp_path / "slow.pdf"
    path.write_bytes(slow())
    started = time.monotonic()
    with pytest.raises(ParseError) as failure:
        parse_file(path, "application/pdf")
    assert failure.value.code == "parse_timeout"
    assert time.monotonic() - started < 6


def test_sandbox_turns_runaway_children_into_error_codes():
    limits = Limits(timeout_s=1, memory_mb=128)

    def spin() -> dict:
        while True:
            pass

    def hoard() -> dict:
        return {"size": len(bytearray(1024 * 1024 * 1024))}

    def crash() -> dict:
        os.abort()

    for function, code in ((spin, "parse_timeout"), (hoard, "parse_out_of_memory"), (crash, "parse_failed")):
        with pytest.raises(ParseError) as failure:
            run_isolated(function, limits=limits)
        assert failure.value.code == code
    assert run_isolated(lambda: {"ok": True}, limits=limits) == {"ok": True}


@pytest.mark.django_db
def test_parse_command_on_the_hostile_set_prints_json_lines_and_no_traceback(hostile_files, tmp_path):
    folder = next(iter(hostile_files.values())).parent
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", "parse", str(folder), "--out", str(tmp_path / "out"), "--json"],
        cwd=ROOT, env=worker_environment(), capture_output=True, text=True,
        timeout=SECONDS_PER_FILE * len(HOSTILE))
    elapsed = time.monotonic() - started
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stderr  # some files succeed, so the command as a whole did
    records = {record["id"]: record for record in map(json.loads, result.stdout.splitlines())}
    assert set(records) == set(HOSTILE)
    for name, record in records.items():
        warnings = {w["code"] for w in record.get("warnings", [])}
        error = record["error"]["code"] if "error" in record else None
        assert outcome_is_acceptable(HOSTILE[name][1], error=error, warnings=warnings), (name, record)
    assert elapsed < SECONDS_PER_FILE * len(HOSTILE)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kib < 1.5 * 1024 * 1024, f"a child peaked at {peak_kib // 1024} MiB"
