"""The hash chain: what is hashed, that it verifies, and that audit_verify names the first bad event."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection, transaction

from audit import append_only, chain
from audit.actions import read_sensitive, record_event
from audit.canonical import GENESIS_HASH, canonical_json, record_hash
from audit.models import AuditCheckpoint, AuditEvent
from tests.audit.conftest import run_command, verify_json

pytestmark = pytest.mark.django_db


def test_events_form_a_gapless_chain_that_verifies(user_with_roles):
    officer = user_with_roles("olivia", "compliance")
    document_id = uuid.uuid4()
    first = record_event("document.viewed", document=document_id, actor=officer, purpose="review",
                         details={"page": 2})
    second = record_event("stage.completed", document=document_id, details={"stage": "parse"})
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    assert AuditEvent.objects.get(seq=1).prev_hash == GENESIS_HASH
    stored = AuditEvent.objects.get(seq=first.seq)
    assert (stored.actor_username, stored.actor_role, stored.actor_id) == ("olivia", "compliance", officer.pk)
    assert record_hash(stored.as_record()) == stored.hash
    result = verify_json()
    assert result["ok"] and result["verified_up_to"] == second.seq


def test_the_fast_canonical_form_equals_the_reference():
    """The verifier's column-by-column form must give exactly ``canonical_json`` of the record."""
    details = {"z": [1, 2.5, None, True], "é": "naïve ✓", "a": {"nested": "\"quoted\"\n"}, "n": 10 ** 20}
    event = record_event("model.inference", document=uuid.uuid4(), details=details,
                         sensitive={"value": "Jane Doe"}, purpose="extraction")
    record = event.as_record()
    fast = chain.canonical_event_bytes(
        record["seq"], record["time"], record["action"], record["actor_id"], record["actor_username"],
        record["actor_role"], record["document_id"], record["purpose"], event.details, record["sensitive"],
        record["prev_hash"])
    assert fast == canonical_json({k: v for k, v in record.items() if k != "hash"})
    assert json.loads(event.details) == details


def test_sensitive_payloads_are_encrypted_per_document():
    document_id = uuid.uuid4()
    event = record_event("model.inference", document=document_id, sensitive={"parties": ["Jane Doe"]})
    stored = AuditEvent.objects.get(seq=event.seq)
    assert "Jane" not in stored.sensitive and "Jane" not in stored.details
    assert read_sensitive(stored) == {"parties": ["Jane Doe"]}
    with pytest.raises(ValueError):
        record_event("model.inference", sensitive={"no": "document"})


def test_event_and_change_commit_or_roll_back_together():
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event("document.viewed", document=uuid.uuid4())
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()
    record_event("document.viewed", document=uuid.uuid4())
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1]


def test_bad_action_names_are_refused():
    with pytest.raises(ValueError):
        record_event("Document Viewed")


def test_audit_verify_names_the_first_altered_event_once_the_triggers_are_gone():
    for number in range(5):
        record_event("document.viewed", document=uuid.uuid4(), details={"n": number})
    assert verify_json()["ok"]
    append_only.unprotect(connection)  # what an attacker with the owner's rights could do
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET details = %s WHERE seq = 3", ['{"n":99}'])
    code, _, err = run_command("audit_verify")
    assert code == 1 and "event 3" in err
    result = json.loads(run_command("audit_verify", "--json")[1])
    assert result["first_bad_seq"] == 3 and not result["ok"]


def test_a_deleted_event_is_a_gap(settings):
    for _ in range(4):
        record_event("document.viewed", document=uuid.uuid4())
    append_only.unprotect(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 2")
    result = verify_json()
    assert result["first_bad_seq"] == 2 and "missing" in result["error"]


def test_checkpoints_are_signed_at_intervals_and_catch_a_cut_tail(settings):
    settings.AUDIT_CHECKPOINT_EVERY = 3
    for _ in range(7):
        record_event("document.viewed", document=uuid.uuid4())
    assert list(AuditCheckpoint.objects.values_list("size", flat=True)) == [3, 6]
    result = verify_json()
    assert result["ok"] and result["checkpoints"] == 2 and result["last_checkpoint"]["size"] == 6
    append_only.unprotect(connection)
    with connection.cursor() as cursor:  # cut the tail back past the last signed checkpoint
        cursor.execute("DELETE FROM audit_auditevent WHERE seq >= 5")
    result = verify_json()
    assert not result["ok"] and "signed checkpoint" in result["error"]


def test_a_forged_checkpoint_fails(settings):
    settings.AUDIT_CHECKPOINT_EVERY = 2
    for _ in range(2):
        record_event("document.viewed", document=uuid.uuid4())
    append_only.unprotect(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditcheckpoint SET head_hash = %s", ["f" * 64])
    result = verify_json()
    assert not result["ok"] and "signature" in result["error"]
