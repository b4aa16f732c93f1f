"""The verifiable log: what an event hashes, how it reaches the tree, and that ``audit_verify`` catches a
changed, deleted, reordered or truncated event made directly in SQL by the database owner with the
triggers lifted and the signing key at hand, against the head held by a witness."""

from __future__ import annotations

import contextlib
import json
import uuid

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError

from audit import append_only, heads, sequencer, tree
from audit.actions import read_sensitive, record_event
from audit.canonical import canonical_json, entry_bytes, stored_hash
from audit.entries import canonical_event_bytes
from audit.models import AuditEvent, AuditLeaf, SignedTreeHead
from tests.audit.conftest import run_command, verify_json

pytestmark = pytest.mark.django_db


def log_of(count: int) -> list:
    events = [record_event("document.viewed", document=uuid.uuid4(), details={"n": number})
              for number in range(count)]
    sequencer.integrate_now()
    return events


def test_an_event_is_verifiable_by_its_own_hash_before_it_is_in_the_tree(user_with_roles):
    officer = user_with_roles("olivia", "compliance")
    event = record_event("document.viewed", document=uuid.uuid4(), actor=officer, purpose="review",
                         details={"page": 2})
    stored = AuditEvent.objects.get(seq=event.seq)
    assert (stored.actor_username, stored.actor_role, stored.actor_id) == ("olivia", "compliance", officer.pk)
    assert stored.prev_hash == "" and stored_hash(stored.as_record()) == stored.hash  # its leaf hash
    assert not AuditLeaf.objects.filter(event_seq=event.seq).exists()  # pending: the tree is untouched
    sequencer.integrate_now()
    leaf = AuditLeaf.objects.get(event_seq=event.seq)
    assert bytes(leaf.leaf_hash).hex() == stored.hash  # its leaf hash is the level-0 node


def test_the_returned_event_is_the_one_stored(user_with_roles):
    officer = user_with_roles("oscar", "compliance")
    for actor, sensitive in ((officer, None), (None, {"value": "Jane Doe"})):
        event = record_event("document.viewed", document=uuid.uuid4(), actor=actor, purpose="review",
                             details={"page": 3}, sensitive=sensitive)
        stored = AuditEvent.objects.get(seq=event.seq)
        assert isinstance(event, AuditEvent) and event.pk == stored.pk
        assert event.as_record() == stored.as_record() and stored_hash(event.as_record()) == event.hash


def test_the_fast_canonical_form_equals_the_reference():
    """The column-by-column form the sequencer and verifier use must give exactly ``canonical_json``."""
    details = {"z": [1, 2.5, None, True], "é": "naïve ✓", "a": {"nested": "\"quoted\"\n"}, "n": 10 ** 20}
    event = record_event("model.inference", document=uuid.uuid4(), details=details,
                         sensitive={"value": "Jane Doe"}, purpose="extraction")
    record = AuditEvent.objects.get(seq=event.seq).as_record()
    fast = canonical_event_bytes(
        record["seq"], record["time"], record["action"], record["actor_id"], record["actor_username"],
        record["actor_role"], record["document_id"], record["purpose"], event.details, record["sensitive"],
        record["prev_hash"])
    assert fast == canonical_json({k: v for k, v in record.items() if k != "hash"}) == entry_bytes(record)
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
    assert AuditEvent.objects.count() == 1
    sequencer.integrate_now()
    assert list(AuditLeaf.objects.values_list("index", flat=True)) == [0]  # the tree's order has no gap


def test_a_failed_append_dooms_the_callers_transaction_even_if_the_error_is_caught(monkeypatch):
    from audit import append

    def broken(*_, **__):
        raise DatabaseError("the log is unreachable")

    clerk = User.objects.create(username="clerk")
    monkeypatch.setattr(append, "append", broken)
    with pytest.raises(TransactionManagementError), transaction.atomic():
        User.objects.filter(pk=clerk.pk).update(first_name="changed-without-event")
        with contextlib.suppress(DatabaseError):  # a careless caller: its change must still not commit
            record_event("document.viewed", document=uuid.uuid4())
        User.objects.count()  # Django refuses to go on in a transaction marked for rollback
    assert User.objects.get(pk=clerk.pk).first_name == ""


@pytest.mark.django_db(transaction=True)
def test_sealing_keys_are_reused_after_commit_and_forgotten_at_erasure():
    from django.db import connection as default
    from django.test.utils import CaptureQueriesContext

    from audit import keys

    document_id = str(uuid.uuid4())
    with transaction.atomic():  # a key made by a transaction that rolls back is never cached
        record_event("model.inference", document=document_id, sensitive={"n": 0})
        transaction.set_rollback(True)
    assert keys._cache_key(document_id) not in keys._seal_keys
    with transaction.atomic():
        first = record_event("model.inference", document=document_id, sensitive={"n": 1})
    with CaptureQueriesContext(default) as queries, transaction.atomic():
        second = record_event("model.inference", document=document_id, sensitive={"n": 2})
    assert not [q for q in queries.captured_queries if "documentkey" in q["sql"].lower()]
    opened = [read_sensitive(AuditEvent.objects.get(seq=event.seq)) for event in (first, second)]
    assert opened == [{"n": 1}, {"n": 2}]
    with transaction.atomic():
        keys.destroy_document_key(document_id.replace("-", ""))  # any spelling of the id
    with transaction.atomic():
        late = record_event("model.inference", document=document_id, sensitive={"n": 3})
    assert late.sensitive == "" and late.details_dict["sensitive_withheld"] == "document_erased"
    assert read_sensitive(AuditEvent.objects.get(seq=second.seq)) is None


def test_bad_action_names_are_refused():
    with pytest.raises(ValueError):
        record_event("Document Viewed")


def test_tree_heads_are_signed_every_n_leaves_and_after_a_quiet_interval(settings):
    settings.AUDIT_STH_EVERY = 4
    settings.AUDIT_STH_INTERVAL_S = 3600
    log_of(9)
    assert list(SignedTreeHead.objects.values_list("tree_size", "reason")) == [(9, "interval")]
    log_of(2)
    assert SignedTreeHead.objects.count() == 1  # 2 new leaves: not due yet
    settings.AUDIT_STH_INTERVAL_S = 0
    sequencer.integrate_now()
    assert SignedTreeHead.objects.order_by("-id").values_list("tree_size", "reason").first() == (11, "timer")
    assert not heads.bad_signatures(SignedTreeHead.objects.all())


def test_a_clean_log_verifies_and_names_its_root():
    log_of(12)
    result = verify_json()
    size, root = tree.head()
    assert result["ok"] and result["tree_size"] == size >= 12 and result["root_hash"] == root
    assert result["witnessed"], "the file witness holds the head the sequencer signed"


def _tamper(*statements) -> None:
    """What someone holding the database owner's rights can do: lift the triggers, then write SQL."""
    append_only.unprotect(connection)
    with connection.cursor() as cursor:
        for statement, params in statements:
            cursor.execute(statement, params)


def test_a_changed_event_is_named(settings):
    events = log_of(6)
    _tamper(("UPDATE audit_auditevent SET details = %s WHERE seq = %s", ['{"n":99}', events[2].seq]))
    code, _, err = run_command("audit_verify")
    assert code == 1 and f"event {events[2].seq}" in err
    result = json.loads(run_command("audit_verify", "--json")[1])
    assert result["first_bad_seq"] == events[2].seq and not result["ok"]


def test_a_changed_event_with_its_hash_recomputed_is_caught_by_the_tree():
    events = log_of(6)
    target = AuditEvent.objects.get(seq=events[3].seq).as_record()
    target["details"] = {"n": 1000}
    _tamper(("UPDATE audit_auditevent SET details = %s, hash = %s WHERE seq = %s",
             [canonical_json(target["details"]).decode(), stored_hash(target), events[3].seq]))
    result = verify_json()
    assert not result["ok"] and result["first_bad_seq"] == events[3].seq


def test_a_deleted_event_is_named():
    events = log_of(5)
    _tamper(("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq]))
    result = verify_json()
    assert not result["ok"] and result["first_bad_seq"] == events[1].seq and "deleted" in result["error"]


def test_reordered_events_are_caught():
    events = log_of(5)
    first = AuditLeaf.objects.get(event_seq=events[1].seq)
    second = AuditLeaf.objects.get(event_seq=events[2].seq)
    _tamper(("UPDATE audit_auditleaf SET event_seq = -1 WHERE \"index\" = %s", [first.index]),
            ("UPDATE audit_auditleaf SET event_seq = %s WHERE \"index\" = %s", [events[1].seq, second.index]),
            ("UPDATE audit_auditleaf SET event_seq = %s WHERE \"index\" = %s", [events[2].seq, first.index]))
    assert not verify_json()["ok"]


def test_a_rewritten_history_resigned_with_the_log_key_is_caught_by_the_witnessed_head():
    """The strongest attacker: rewrites an event, rebuilds the tree and every signed head with
    docintel's own key. Only the witness, outside the database, still holds the old root."""
    events = log_of(8)
    target = AuditEvent.objects.get(seq=events[4].seq).as_record()
    target["details"] = {"n": "rewritten"}
    _tamper(("UPDATE audit_auditevent SET details = %s, hash = %s WHERE seq = %s",
             [canonical_json(target["details"]).decode(), stored_hash(target), events[4].seq]),
            ("DELETE FROM audit_audittreenode", []), ("DELETE FROM audit_auditleaf", []),
            ("DELETE FROM audit_signedtreehead", []))
    sequencer.integrate_now()  # the tree rebuilt from the rewritten events, and signed again
    assert SignedTreeHead.objects.exists() and not heads.bad_signatures(SignedTreeHead.objects.all())
    result = verify_json()
    assert not result["ok"] and "witnessed" in result["error"]


def test_a_truncated_log_is_caught_by_the_signed_and_witnessed_heads():
    events = log_of(7)
    _tamper(("DELETE FROM audit_auditevent WHERE seq >= %s", [events[5].seq]),
            ("DELETE FROM audit_auditleaf WHERE event_seq >= %s", [events[5].seq]),
            ("DELETE FROM audit_signedtreehead", []))
    result = verify_json()
    assert not result["ok"] and "truncated" in result["error"]


def test_a_forged_tree_head_fails():
    log_of(3)
    _tamper(("UPDATE audit_signedtreehead SET root_hash = %s", ["f" * 64]))
    result = verify_json()
    assert not result["ok"] and "signature" in result["error"]


@pytest.mark.parametrize("leaf_batch", [None, 2])  # 2: the chain in one batch, the tree's events after
def test_a_version_1_chain_is_kept_in_the_tree_and_still_checked(monkeypatch, leaf_batch):
    """Logs from before the tree: chained events (prev_hash, hash = SHA-256(entry)) enter the tree first
    and their chain is still verified."""
    import hashlib

    from audit import entries

    if leaf_batch:
        monkeypatch.setattr(entries, "LEAF_BATCH", leaf_batch)

    prev = "0" * 64
    with connection.cursor() as cursor:
        for seq in (1, 2, 3):
            record = {"seq": seq, "time": f"2025-01-0{seq}T00:00:00.000000Z", "action": "document.viewed",
                      "actor_id": None, "actor_username": "", "actor_role": "", "document_id": None,
                      "purpose": "", "details": {"old": seq}, "sensitive": "", "prev_hash": prev}
            digest = hashlib.sha256(entry_bytes(record)).hexdigest()
            cursor.execute("INSERT INTO audit_auditevent (seq, time, action, actor_id, actor_username, "
                           "actor_role, document_id, purpose, details, sensitive, prev_hash, hash) VALUES "
                           "(%s, %s, %s, NULL, '', '', NULL, '', %s, '', %s, %s)",
                           [seq, f"2025-01-0{seq} 00:00:00", "document.viewed",
                            canonical_json(record["details"]).decode(), prev, digest])
            prev = digest
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval('audit_event_seq', 4, false)")
    log_of(2)
    clean = verify_json()
    assert clean["ok"] and clean["walked_one_by_one"] == (4 if leaf_batch else 5)
    _tamper(("UPDATE audit_auditevent SET prev_hash = %s WHERE seq = 2", ["1" * 64]))
    result = verify_json()
    assert not result["ok"] and result["first_bad_seq"] == 2


def test_a_damaged_tree_node_fails_proofs_and_the_node_check():
    """Inner nodes are what proofs read; a wrong one cannot forge a proof (it no longer reaches the
    signed root), and ``audit_verify --nodes`` names where it is."""
    from audit.proofs import inclusion_document
    from audit.tree import LogDamaged

    events = log_of(8)
    # The node beside the first event's pair of leaves (on its proof's path). Worked out from its leaf
    # index, not assumed to be leaf 0: on PostgreSQL, events committed by an earlier test of the session
    # (one with real transactions) stay in the append-only log.
    sibling = (tree.leaf_index(events[0].seq) >> 1) ^ 1
    heads.sign_tree_now(reason="on_demand")  # the head the proof must reach, signed before the damage
    _tamper(("UPDATE audit_audittreenode SET hash = %s WHERE node_id = %s",
             [b"\x00" * 32, (1 << 48) | sibling]))
    with pytest.raises(LogDamaged):
        inclusion_document(events[0].seq)
    result = json.loads(run_command("audit_verify", "--json", "--nodes")[1])
    assert not result["ok"] and f"stored tree node 1/{sibling}" in result["error"]


# --- The verifier checks leaves a batch at a time (``audit.verify``): four here, so that a short log
# crosses batches, and whatever it finds, the event-by-event walk that follows names. ------------------
@pytest.fixture
def batches_of_four(monkeypatch):
    from audit import entries

    monkeypatch.setattr(entries, "LEAF_BATCH", 4)


def log_with_heads(*chunks: int) -> list:
    """Events in ``chunks``, a signed head after each: heads inside batches and at their edges."""
    events = []
    for count in chunks:
        events += log_of(count)
        heads.sign_tree_now(reason="on_demand")
    return events


def test_the_batch_check_agrees_with_the_event_walk(batches_of_four):
    from audit.verify import verify_log

    log_with_heads(3, 3, 2, 3)  # heads at 3, 6, 8 and 11: in a batch, at a batch's end, in the last one
    batched = verify_log()
    walked = verify_log(check_nodes=True)  # every leaf one by one (and every stored node)
    assert batched.ok and walked.ok, (batched.error, walked.error)
    assert batched.walked_one_by_one == 0 and walked.walked_one_by_one == 11
    assert {**batched.as_dict(), "walked_one_by_one": 11} == walked.as_dict()
    assert (batched.tree_size, batched.root_hash) == tree.head()
    assert batched.tree_heads == SignedTreeHead.objects.count() >= 4


@pytest.mark.parametrize("which", [0, 5, 10])  # the first batch, a middle one, the last (partial) one
def test_a_changed_event_is_named_in_any_batch(batches_of_four, which):
    events = log_with_heads(6, 5)
    _tamper(("UPDATE audit_auditevent SET details = %s WHERE seq = %s", ['{"n":99}', events[which].seq]))
    result = verify_json()
    assert not result["ok"] and result["first_bad_seq"] == events[which].seq
    assert "altered" in result["error"] and result["verified_up_to"] == which


def test_a_changed_event_with_its_hash_and_leaf_recomputed_is_caught_by_a_head_inside_a_batch(
        batches_of_four):
    events = log_with_heads(6, 5)  # a head at 6, inside the second batch
    target = AuditEvent.objects.get(seq=events[4].seq).as_record()
    target["details"] = {"n": "rewritten"}
    digest = stored_hash(target)
    _tamper(("UPDATE audit_auditevent SET details = %s, hash = %s WHERE seq = %s",
             [canonical_json(target["details"]).decode(), digest, events[4].seq]),
            ("UPDATE audit_auditleaf SET leaf_hash = %s WHERE event_seq = %s",
             [bytes.fromhex(digest), events[4].seq]))
    result = verify_json()
    assert not result["ok"] and "first 6 leaves do not have the root" in result["error"]


def test_deleted_missing_and_reordered_events_are_named_across_batches(batches_of_four):
    events = log_with_heads(11)
    _tamper(("DELETE FROM audit_auditevent WHERE seq = %s", [events[6].seq]))
    result = verify_json()
    assert not result["ok"] and result["first_bad_seq"] == events[6].seq and "deleted" in result["error"]
    _tamper(("DELETE FROM audit_auditleaf WHERE \"index\" IN (4, 5, 6, 7)", []))  # a whole batch's leaves
    result = verify_json()
    assert not result["ok"] and "leaf 4 is missing" in result["error"]


def test_events_swapped_across_a_batch_edge_are_caught(batches_of_four):
    events = log_with_heads(8)
    _tamper(("UPDATE audit_auditleaf SET event_seq = -1 WHERE \"index\" = 3", []),
            ("UPDATE audit_auditleaf SET event_seq = %s WHERE \"index\" = 4", [events[3].seq]),
            ("UPDATE audit_auditleaf SET event_seq = %s WHERE \"index\" = 3", [events[4].seq]))
    result = verify_json()
    assert not result["ok"] and result["first_bad_seq"] == events[4].seq


def test_an_event_that_was_never_canonical_text_is_named_not_a_crash():
    events = log_of(3)
    _tamper(("UPDATE audit_auditevent SET details = %s WHERE seq = %s", ['{"n":"é"}', events[1].seq]))
    result = verify_json()
    assert not result["ok"] and result["first_bad_seq"] == events[1].seq and "canonical" in result["error"]


# --- The sequencer places a version 2 event by its stored hash (its writer's leaf hash), and hashes the
# fields only where that hash is not one (a version 1 chain hash, or not 64 hex digits). ----------------
def _pending_events(count: int) -> list:
    events = [record_event("document.viewed", document=uuid.uuid4(), details={"n": number})
              for number in range(count)]
    assert not AuditLeaf.objects.filter(event_seq__in=[event.seq for event in events]).exists()
    return events


def test_a_pending_event_changed_before_integration_is_placed_as_written_and_named():
    events = _pending_events(4)
    _tamper(("UPDATE audit_auditevent SET details = %s WHERE seq = %s", ['{"n":99}', events[1].seq]))
    sequencer.integrate_now()
    leaf = AuditLeaf.objects.get(event_seq=events[1].seq)
    assert bytes(leaf.leaf_hash).hex() == events[1].hash  # the tree holds what the writer hashed
    result = verify_json()
    assert not result["ok"] and result["first_bad_seq"] == events[1].seq


@pytest.mark.parametrize("bad_hash", ["not hex at all", "ab" * 31 + "zz", "ab" * 31])
def test_a_pending_event_with_a_hash_that_is_no_leaf_hash_is_still_placed_and_named(bad_hash):
    events = _pending_events(3)
    _tamper(("UPDATE audit_auditevent SET hash = %s WHERE seq = %s", [bad_hash, events[1].seq]))
    added = sequencer.integrate_now().added
    assert added >= 3  # the round did not fail on it: the events after it are in the tree too
    leaf = AuditLeaf.objects.get(event_seq=events[1].seq)
    assert bytes(leaf.leaf_hash).hex() == events[1].hash  # hashed from its fields
    assert AuditLeaf.objects.filter(event_seq=events[2].seq).exists()
    result = verify_json()
    assert not result["ok"] and result["first_bad_seq"] == events[1].seq


@pytest.mark.django_db(transaction=True)
def test_appends_are_in_the_query_log_and_go_on_after_a_reconnect():
    """On PostgreSQL the append runs prepared on a cursor of its own: it must still show in the query log
    (there it runs on Django's cursor) and survive the connection being replaced (a new psycopg
    connection: the statements are prepared again)."""
    from django.test.utils import CaptureQueriesContext

    first = record_event("document.viewed", document=uuid.uuid4(), details={"n": 1})
    with CaptureQueriesContext(connection) as queries:
        logged = record_event("document.viewed", document=uuid.uuid4(), details={"n": 2})
    assert any("INSERT INTO audit_auditevent" in query["sql"] for query in queries.captured_queries)
    connection.close()
    after = record_event("document.viewed", document=uuid.uuid4(), details={"n": 3})
    written = [first, logged, after]
    stored = {event.seq: event for event in AuditEvent.objects.filter(seq__in=[e.seq for e in written])}
    assert [stored[event.seq].hash for event in written] == [event.hash for event in written]
    assert all(stored_hash(event.as_record()) == event.hash for event in stored.values())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            record_event("document.viewed", document=uuid.uuid4(), details={"n": 4})
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            assert any("INSERT INTO audit_auditevent" in row[0] for row in cursor.fetchall())


# --- A head signed on demand (export, rotation, proof at a new size) is checked, not taken from stored
# nodes on trust: a node damaged before it is signed must never be signed. ----------------------------
def _damage(level: int, index: int) -> None:
    if level == 0:
        _tamper(('UPDATE audit_auditleaf SET leaf_hash = %s WHERE "index" = %s', [b"\x00" * 32, index]))
    else:
        _tamper(("UPDATE audit_audittreenode SET hash = %s WHERE node_id = %s",
                 [b"\x00" * 32, (level << 48) | index]))


def _true_root() -> bytes:
    """The root folded from every event's own hash, in leaf order (no stored node read)."""
    from audit.merkle import CompactRange

    compact = CompactRange()
    for seq in AuditLeaf.objects.order_by("index").values_list("event_seq", flat=True):
        compact.push(bytes.fromhex(AuditEvent.objects.get(seq=seq).hash))
    return compact.root()


def test_a_node_damaged_under_the_last_signed_head_is_refused_not_signed():
    log_of(5)
    base = heads.sign_tree_now(reason="on_demand")
    log_of(3)
    level, index = merkle_border(base.tree_size)[0]  # the largest subtree of the signed tree
    _damage(level, index)
    before = SignedTreeHead.objects.count()
    with pytest.raises(tree.LogDamaged):
        heads.sign_tree_now(reason="on_demand")
    with pytest.raises(tree.LogDamaged):
        heads.head_for(tree.size())
    assert SignedTreeHead.objects.count() == before


def test_a_node_damaged_after_the_last_signed_head_does_not_reach_the_signed_root():
    log_of(3)
    base = heads.sign_tree_now(reason="on_demand")
    # Grow until the tree's rightmost perfect subtree is a stored inner node entirely after that head.
    while True:
        log_of(1)
        level, index = merkle_border(tree.size())[-1]
        if level >= 1 and index << level >= base.tree_size:
            break
    _damage(level, index)
    assert tree.root_at(tree.size()) != _true_root()  # what the stored nodes alone would have signed
    signed = heads.sign_tree_now(reason="on_demand")
    assert (signed.tree_size, signed.root_hash) == (tree.size(), _true_root().hex())


def test_a_leaf_that_disagrees_with_its_event_is_refused_not_signed():
    log_of(3)
    heads.sign_tree_now(reason="on_demand")
    log_of(2)
    _damage(0, tree.size() - 1)
    with pytest.raises(tree.LogDamaged):
        heads.sign_tree_now(reason="on_demand")


def merkle_border(size: int) -> list[tuple[int, int]]:
    from audit.merkle import CompactRange

    return CompactRange.border_nodes(size)


def test_the_sequencer_does_not_carry_a_damaged_node_into_its_nodes_and_heads(settings):
    settings.AUDIT_STH_EVERY = 4
    log_of(3)
    base = heads.sign_tree_now(reason="on_demand")
    while True:
        log_of(1)
        level, index = merkle_border(tree.size())[-1]
        if level >= 1 and index << level >= base.tree_size and tree.latest_head().tree_size < tree.size():
            break
    _damage(level, index)  # on the border the next round goes on from
    log_of(4)  # a head is due
    latest = tree.latest_head()
    assert latest.tree_size == tree.size() and latest.root_hash == _true_root().hex()


def test_the_sequencer_refuses_to_go_on_from_a_tree_that_no_longer_gives_its_signed_root():
    log_of(5)
    base = heads.sign_tree_now(reason="on_demand")
    _damage(*merkle_border(base.tree_size)[0])
    record_event("document.viewed", document=uuid.uuid4(), details={"n": "after"})
    with pytest.raises(tree.LogDamaged):
        sequencer.integrate_now()
    assert tree.size() == base.tree_size  # nothing was added on top of the damaged tree


@pytest.mark.django_db(transaction=True)
def test_rounds_that_go_on_from_the_remembered_border_build_the_tree_verify_rebuilds():
    for _ in range(3):
        log_of(3)  # each round commits, and the next goes on from the border it left in memory
        assert sequencer._border[0][2] == tree.size()
    result = json.loads(run_command("audit_verify", "--json", "--nodes")[1])
    assert result["ok"], result["error"]
