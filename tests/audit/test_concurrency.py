"""Several processes appending at once on PostgreSQL: the chain stays gapless and never forks."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections import Counter
from itertools import pairwise

import pytest
from django.db import connection

from audit.actions import read_sensitive
from audit.chain import verify_chain
from audit.models import AuditEvent, DocumentKey
from tests.conftest import ROOT, require_services, worker_environment

WRITERS, EACH = 4, 150


def test_concurrent_writer_processes_keep_one_gapless_chain(transactional_db, tmp_path):
    require_services("DATABASE_URL")
    if connection.vendor != "postgresql":
        pytest.skip("several writer processes need a server database")
    document_id = str(uuid.uuid4())
    start = tmp_path / "go"
    writers = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "audit" / "append_writer.py"),
                                 f"w{index}", str(EACH), document_id, str(start)],
                                cwd=ROOT, env=worker_environment(), stderr=subprocess.PIPE, text=True)
               for index in range(WRITERS)]
    start.touch()
    for writer in writers:
        _, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err

    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))  # gapless
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(events))
    assert len({e.prev_hash for e in events}) == len(events)  # no two events follow the same one: no fork
    written = Counter(e.details_dict["writer"] for e in events if e.action == "test.concurrent_append")
    assert written == {f"w{index}": EACH for index in range(WRITERS)}
    result = verify_chain()
    assert result.ok and result.verified_up_to == len(events)
    assert DocumentKey.objects.filter(document_id=document_id).count() == 1  # one key, despite the race
    with_payload = [e for e in events if e.sensitive]
    assert len(with_payload) == WRITERS * len(range(0, EACH, 3))
    assert all(read_sensitive(e) is not None for e in with_payload)
