"""An HTTP witness (``python -m audit.witness``, a process of its own with its own key) cosigns tree
heads it finds consistent with the last one it cosigned, refuses any other, and ``audit_verify`` holds
the log to the head the witness keeps: a history rewritten and re-signed with docintel's key fails."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest
from django.db import connection

from audit import append_only, keys, sequencer, tree
from audit.actions import record_event
from audit.canonical import canonical_json, cosign_message, load_public_key, sth_message, stored_hash
from audit.models import AuditEvent, WitnessCosignature
from audit.queries import tree_status
from tests.audit.conftest import verify_json
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test's own witness
        return json.loads(response.read())


@pytest.fixture
def witness(tmp_path, settings):
    """A witness on a free loopback port that knows the log's public key; its URL is configured."""
    (tmp_path / "log.pem").write_text(keys.public_key_pem())
    process = subprocess.Popen([sys.executable, "-m", "audit.witness", "--state", str(tmp_path / "witness"),
                                "--port", "0", "--log-key", str(tmp_path / "log.pem")],
                               cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE, text=True)
    try:
        started = json.loads(process.stdout.readline())
        url = f"http://{started['listening']}"
        settings.AUDIT_WITNESS_URLS = [url]
        settings.AUDIT_STH_INTERVAL_S = 0  # every integration signs a head: each reaches the witness
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def grow(count: int) -> list:
    events = [record_event("document.viewed", document=uuid.uuid4(), details={"n": n}) for n in range(count)]
    sequencer.integrate_now()
    return events


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(f"{url}/cosign", data=json.dumps(body).encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_witness_cosigns_consistent_heads(witness):
    grow(5)
    grow(6)
    cosigned = list(WitnessCosignature.objects.order_by("tree_size"))
    assert len(cosigned) == 2 and cosigned[-1].tree_size == tree.size()
    witness_key = get(f"{witness}/public-key")
    last = cosigned[-1]
    sth = {"tree_size": last.tree_size, "root_hash": last.root_hash, **{
        k: v for k, v in tree.latest_head().as_dict().items() if k in ("timestamp", "key_id")}}
    load_public_key(witness_key["pem"]).verify(
        base64.b64decode(last.signature), cosign_message(sth, last.witness_key_id, last.timestamp))
    assert verify_json()["ok"]


def test_the_witness_refuses_an_inconsistent_head_and_keeps_the_last(witness):
    grow(6)
    head = tree.latest_head().as_dict()
    forged = dict(head, tree_size=head["tree_size"] + 1, root_hash="ab" * 32)
    forged["signature"] = keys.sign(sth_message(forged["tree_size"], forged["root_hash"], forged["timestamp"],
                                                forged["key_id"]))
    status, body = post(witness, {"sth": forged, "consistency": {
        "old_size": head["tree_size"], "new_size": forged["tree_size"], "path": ["cd" * 32]}})
    assert status == 409 and "not consistent" in body["error"]["message"]
    smaller = dict(head, tree_size=2)
    status, body = post(witness, {"sth": smaller, "consistency": {"old_size": 6, "new_size": 2, "path": []}})
    assert status == 409
    status, body = post(witness, {"sth": dict(head, signature="AAAA"), "consistency": {}})
    assert status == 409 and "not signed" in body["error"]["message"]
    assert get(f"{witness}/latest")["sth"]["root_hash"] == head["root_hash"]


def test_a_rewritten_history_is_refused_by_the_witness_and_fails_verification(witness, settings):
    settings.AUDIT_WITNESS_DIR = "off"  # only the HTTP witness stands between the attacker and success
    events = grow(8)
    target = AuditEvent.objects.get(seq=events[2].seq).as_record()
    target["details"] = {"n": "rewritten"}
    append_only.unprotect(connection)
    with connection.cursor() as cursor:  # the owner rewrites the event, rebuilds the tree, re-signs it
        cursor.execute("UPDATE audit_auditevent SET details = %s, hash = %s WHERE seq = %s",
                       [canonical_json(target["details"]).decode(), stored_hash(target), events[2].seq])
        for table in ("audit_audittreenode", "audit_auditleaf", "audit_signedtreehead"):
            cursor.execute(f"DELETE FROM {table}")
    grow(1)
    refusal = AuditEvent.objects.filter(action="audit.witness_refused").last()
    assert refusal is not None and refusal.details_dict["witness"] == witness
    assert any("refused" in alert for alert in tree_status()["alerts"])
    result = verify_json()
    assert not result["ok"] and witness in result["error"]
