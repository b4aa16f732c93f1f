"""Exports re-verify offline with the stand-alone verifier against the signed tree head in their
manifest, and any change to them is caught: an altered, removed, added or reordered event."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import pytest
from django.core.management.base import CommandError

from audit.actions import record_event
from audit.models import AuditEvent
from tests.audit.conftest import run_command
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

# The verifier runs with no Django settings and must not even import Django.
VERIFIER = ("import sys; from audit.verify_export import main; code = main(sys.argv[1:]); "
            "assert 'django' not in sys.modules, 'the verifier imported Django'; sys.exit(code)")


def offline_verify(path, *extra) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-c", VERIFIER, str(path), "--json", *extra], cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def make_events(count: int) -> None:
    for number in range(count):
        record_event("model.inference", document=uuid.uuid4(), purpose="extraction",
                     details={"n": number, "model": "smollm2-135m", "latency_ms": 12.5, "note": "ünïcode"},
                     sensitive={"value": f"secret {number}"})


@pytest.mark.parametrize("export_format", ["jsonl", "csv"])
def test_an_export_of_n_events_verifies_offline(tmp_path, export_format):
    make_events(25)
    out = tmp_path / f"log.{export_format}"
    code, _, err = run_command("audit_export", "--format", export_format, "--out", str(out))
    assert code == 0, err
    manifest = json.loads(out.with_name(f"{out.name}.manifest.json").read_text())
    assert manifest["count"] == manifest["range"]["last_leaf"] + 1 >= 25
    assert manifest["tree_head"]["tree_size"] >= manifest["count"] and manifest["manifest_version"] == 2
    code, result = offline_verify(out)
    assert code == 0 and result["ok"] and result["count"] == manifest["count"]
    assert AuditEvent.objects.filter(action="audit.exported").exists()


def test_an_altered_export_fails_and_names_the_line(tmp_path):
    make_events(10)
    out = tmp_path / "log.jsonl"
    run_command("audit_export", "--out", str(out))
    lines = out.read_text().splitlines(keepends=True)
    record = json.loads(lines[4])
    record["details"]["model"] = "a-different-model"
    lines[4] = json.dumps(record) + "\n"
    out.write_text("".join(lines))
    code, result = offline_verify(out)
    assert code == 1 and result["line"] == 5 and "altered" in result["error"]["message"]


def test_a_removed_line_and_a_truncated_file_fail(tmp_path):
    make_events(6)
    out = tmp_path / "log.csv"
    run_command("audit_export", "--format", "csv", "--out", str(out))
    original = out.read_text().splitlines(keepends=True)
    out.write_text("".join(original[:3] + original[4:]))  # event 3 taken out
    assert offline_verify(out)[0] == 1
    out.write_text("".join(original[:-1]))  # the last event taken out
    code, result = offline_verify(out)
    assert code == 1 and "manifest says" in result["error"]["message"]


def test_reordered_events_do_not_fold_to_the_signed_root(tmp_path):
    make_events(6)
    out = tmp_path / "log.jsonl"
    run_command("audit_export", "--out", str(out))
    lines = out.read_text().splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    out.write_text("".join(lines))
    code, result = offline_verify(out)
    assert code == 1 and "reordered" in result["error"]["message"]


def test_a_range_that_does_not_start_at_the_first_event_verifies_on_its_own(tmp_path):
    make_events(5)
    time.sleep(0.01)
    since = datetime.now(UTC)
    make_events(5)
    out = tmp_path / "recent.jsonl"
    code, _, err = run_command("audit_export", "--out", str(out), "--since", since.isoformat())
    assert code == 0, err
    manifest = json.loads(out.with_name("recent.jsonl.manifest.json").read_text())
    assert manifest["range"]["first_leaf"] > 0 and manifest["frame"]  # the leaves left of it, as hashes
    assert manifest["count"] == 5
    assert offline_verify(out)[0] == 0


def test_a_key_pinned_by_the_auditor_must_match(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    make_events(3)
    out = tmp_path / "log.jsonl"
    run_command("audit_export", "--out", str(out))
    right = tmp_path / "right.pem"
    right.write_text(json.loads(out.with_name("log.jsonl.manifest.json").read_text())["public_key"]["pem"])
    assert offline_verify(out, "--public-key", str(right))[0] == 0
    forger = tmp_path / "forger.pem"
    forger.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    code, result = offline_verify(out, "--public-key", str(forger))
    assert code == 1 and "not signed by a known key" in result["error"]["message"]


def test_an_empty_range_is_a_clear_error(tmp_path):
    make_events(1)
    with pytest.raises(CommandError, match="no audit events"):
        run_command("audit_export", "--out", str(tmp_path / "x.jsonl"), "--since", "2999-01-01")
    with pytest.raises(CommandError, match="ISO 8601"):
        run_command("audit_export", "--out", str(tmp_path / "x.jsonl"), "--since", "yesterday")
