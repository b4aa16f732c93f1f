"""Inclusion and consistency proofs, from the command line, the API and the compliance page, checked by
the stand-alone verifier (no Django, no database); and key rotation keeps old proofs verifiable."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import uuid

import pytest
from django.core.management.base import CommandError

from audit import merkle, sequencer, tree
from audit.actions import record_event
from audit.models import AuditEvent, AuditLeaf, SignedTreeHead
from tests.audit.conftest import api_client, run_command
from tests.conftest import ROOT
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

VERIFIER = ("import sys; from audit.verify_export import main; code = main(sys.argv[1:]); "
            "assert 'django' not in sys.modules, 'the verifier imported Django'; sys.exit(code)")


def offline(*args) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-c", VERIFIER, *map(str, args), "--json"], cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def grow(count: int) -> None:
    for number in range(count):
        record_event("model.inference", document=uuid.uuid4(), details={"n": number},
                     sensitive={"value": number} if number % 4 == 0 else None)
    sequencer.integrate_now()


def test_random_inclusion_and_consistency_proofs_verify_offline(tmp_path):
    grow(70)
    size = tree.size()
    chooser = random.Random(13)
    seqs = list(AuditLeaf.objects.values_list("event_seq", flat=True))
    for seq in chooser.sample(seqs, 6):
        leaf = AuditLeaf.objects.get(event_seq=seq).index
        tree_size = chooser.randint(leaf + 1, size)
        code, out, err = run_command("audit_prove", str(seq), "--tree-size", str(tree_size), "--json")
        assert code == 0, err
        proof = json.loads(out)
        assert proof["tree_size"] == tree_size == proof["sth"]["tree_size"] and proof["event"]["seq"] == seq
        (tmp_path / "proof.json").write_text(out)
        code, result = offline("--proof", tmp_path / "proof.json")
        assert code == 0 and result["leaf_index"] == leaf, result
    for _ in range(6):
        old = chooser.randint(0, size)
        new = chooser.randint(old, size)
        code, out, err = run_command("audit_consistency", str(old), str(new), "--json")
        assert code == 0, err
        (tmp_path / "consistency.json").write_text(out)
        assert offline("--consistency", tmp_path / "consistency.json")[0] == 0


def test_a_tampered_proof_fails_offline(tmp_path):
    grow(20)
    seq = AuditLeaf.objects.get(index=7).event_seq
    proof = json.loads(run_command("audit_prove", str(seq), "--json")[1])
    bad = dict(proof, path=[proof["path"][0][::-1], *proof["path"][1:]])
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    assert offline("--proof", tmp_path / "bad.json")[0] == 1
    changed = dict(proof, event={**proof["event"], "details": {"n": "changed"}})
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    code, result = offline("--proof", tmp_path / "changed.json")
    assert code == 1 and "altered" in result["error"]["message"]
    consistency = json.loads(run_command("audit_consistency", "5", "20", "--json")[1])
    consistency["old_root"] = "00" * 32
    consistency["old_sth"] = None
    (tmp_path / "c.json").write_text(json.dumps(consistency))
    assert offline("--consistency", tmp_path / "c.json")[0] == 1


def test_a_kept_head_that_disagrees_fails_the_proof(tmp_path):
    grow(10)
    proof = json.loads(run_command("audit_consistency", "4", "10", "--json")[1])
    (tmp_path / "c.json").write_text(json.dumps(proof))
    (tmp_path / "kept.json").write_text(json.dumps({"tree_size": 4, "root_hash": "ab" * 32}))
    code, result = offline("--consistency", tmp_path / "c.json", "--sth", tmp_path / "kept.json")
    assert code == 1 and "tree head you kept" in result["error"]["message"]


def test_bad_requests_are_clear_errors():
    grow(3)
    with pytest.raises(CommandError, match="not in the tree"):
        run_command("audit_prove", "999999")
    with pytest.raises(CommandError, match="tree size"):
        run_command("audit_prove", str(AuditLeaf.objects.get(index=2).event_seq), "--tree-size", "1")
    with pytest.raises(CommandError, match="consistency proof needs"):
        run_command("audit_consistency", "3", "99999")


def test_key_rotation_keeps_old_proofs_verifiable(tmp_path):
    grow(9)
    seq = AuditLeaf.objects.get(index=4).event_seq
    old_proof = run_command("audit_prove", str(seq), "--json")[1]
    old_key = json.loads(old_proof)["sth"]["key_id"]
    code, out, err = run_command("audit_rotate_key", "--json")
    assert code == 0, err
    rotated = json.loads(out)
    assert rotated["old_key_id"] == old_key != rotated["new_key_id"]
    assert AuditEvent.objects.filter(action="audit.key_rotated").exists()
    grow(5)
    new_proof = json.loads(run_command("audit_prove", str(seq), "--json")[1])
    assert new_proof["sth"]["key_id"] == rotated["new_key_id"]
    assert {key["key_id"] for key in new_proof["public_keys"]} >= {old_key, rotated["new_key_id"]}
    (tmp_path / "old.json").write_text(old_proof)
    (tmp_path / "new.json").write_text(json.dumps(new_proof))
    assert offline("--proof", tmp_path / "old.json")[0] == 0
    assert offline("--proof", tmp_path / "new.json")[0] == 0
    assert SignedTreeHead.objects.filter(reason="rotation").count() == 2
    assert json.loads(run_command("audit_verify", "--json")[1])["ok"]


def test_the_api_serves_proofs_and_tree_heads_to_compliance_only(user_with_roles, tmp_path):
    grow(12)
    officer, clerk = user_with_roles("olivia", "compliance"), user_with_roles("carl", "clerk")
    api = api_client(officer)
    seq = AuditLeaf.objects.get(index=3).event_seq
    response = api.get(f"/api/v1/audit/events/{seq}/proof/")
    assert response.status_code == 200
    (tmp_path / "p.json").write_text(json.dumps(response.json()))
    assert offline("--proof", tmp_path / "p.json")[0] == 0
    response = api.get("/api/v1/audit/consistency/", {"old": 2, "new": tree.size()})
    assert response.status_code == 200
    body = response.json()
    assert merkle.consistency_valid(body["old_size"], body["new_size"], bytes.fromhex(body["old_root"]),
                                    bytes.fromhex(body["new_root"]), [bytes.fromhex(h) for h in body["path"]])
    heads = api.get("/api/v1/audit/tree-heads/").json()
    assert heads["results"][0]["tree_size"] >= 12 and "cosignatures" in heads["results"][0]
    assert api.get("/api/v1/audit/events/999999/proof/").json()["error"]["code"] == "not_integrated"
    assert api.get("/api/v1/audit/consistency/", {"old": "x", "new": 2}).status_code == 400
    assert api.get("/api/v1/audit/consistency/", {"old": 2, "new": 10**9}).status_code == 400
    assert AuditEvent.objects.filter(action="audit.proved", actor_username="olivia").count() == 2
    other = api_client(clerk)
    assert other.get(f"/api/v1/audit/events/{seq}/proof/").status_code == 403
    assert other.get("/api/v1/audit/tree-heads/").status_code == 403


def test_the_compliance_page_shows_and_downloads_a_proof(client, user_with_roles, tmp_path):
    grow(6)
    user_with_roles("olivia", "compliance")
    client.login(username="olivia", password=PASSWORD)
    seq = AuditLeaf.objects.get(index=2).event_seq
    page = client.get(f"/audit/events/{seq}/proof/")
    assert page.status_code == 200 and b"checked just now" in page.content
    download = client.get(f"/audit/events/{seq}/proof/", {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment")
    (tmp_path / "p.json").write_bytes(download.content)
    assert offline("--proof", tmp_path / "p.json")[0] == 0
    assert client.get("/audit/events/999999/proof/").status_code == 404
    heads = client.get("/audit/tree-heads/")
    assert heads.status_code == 200 and b"Signed tree heads" in heads.content


def test_numbers_beyond_any_tree_are_clear_errors(user_with_roles):
    grow(3)
    api = api_client(user_with_roles("olivia", "compliance"))
    huge = 233110883800286201118720
    assert api.get(f"/api/v1/audit/events/{huge}/proof/").status_code == 404
    assert api.get(f"/api/v1/audit/events/1/proof/?tree_size={huge}").status_code in (400, 404)
    assert api.get("/api/v1/audit/consistency/", {"old": 1, "new": huge}).status_code == 400
