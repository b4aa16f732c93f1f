"""Several processes appending at once on PostgreSQL while the sequencer runs: every event lands in the
tree exactly once, in a gapless order, and the whole log verifies."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections import Counter

import pytest
from django.db import connection

from audit import sequencer
from audit.actions import read_sensitive
from audit.models import AuditEvent, AuditLeaf, DocumentKey
from audit.verify import verify_log
from tests.conftest import ROOT, require_services, worker_environment

WRITERS, EACH = 4, 150


def test_concurrent_writers_and_the_sequencer_keep_one_tree(transactional_db, tmp_path):
    require_services("DATABASE_URL")
    if connection.vendor != "postgresql":
        pytest.skip("several writer processes need a server database")
    document_id = str(uuid.uuid4())
    start = tmp_path / "go"
    writers = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "audit" / "append_writer.py"),
                                 f"w{index}", str(EACH), document_id, str(start)],
                                cwd=ROOT, env=worker_environment(), stderr=subprocess.PIPE, text=True)
               for index in range(WRITERS)]
    done = threading.Event()
    rounds: list[int] = []

    def integrate_while_they_write() -> None:  # a sequencer racing the writers, as in production
        while not done.is_set():
            rounds.append(sequencer.integrate(publish=False).added)
        connection.close()

    racer = threading.Thread(target=integrate_while_they_write)
    racer.start()
    start.touch()
    try:
        for writer in writers:
            _, err = writer.communicate(timeout=300)
            assert writer.returncode == 0, err
    finally:
        done.set()
        racer.join()
    sequencer.integrate_now(full=True)

    events = list(AuditEvent.objects.order_by("seq"))
    seqs = [event.seq for event in events]
    assert len(set(seqs)) == len(seqs)  # one number each, handed out without a lock
    leaves = list(AuditLeaf.objects.order_by("index").values_list("index", "event_seq"))
    assert [index for index, _ in leaves] == list(range(len(events)))  # the tree's order: gapless
    assert sorted(seq for _, seq in leaves) == seqs  # every event exactly once
    assert sum(rounds) > 0, "the sequencer integrated while the writers wrote"
    written = Counter(e.details_dict["writer"] for e in events if e.action == "test.concurrent_append")
    assert written == {f"w{index}": EACH for index in range(WRITERS)}
    result = verify_log()
    assert result.ok and result.tree_size == len(events) and result.pending == 0, result.error
    assert DocumentKey.objects.filter(document_id=document_id).count() == 1  # one key, despite the race
    with_payload = [e for e in events if e.sensitive]
    assert len(with_payload) == WRITERS * len(range(0, EACH, 3))
    assert all(read_sensitive(e) is not None for e in with_payload)
