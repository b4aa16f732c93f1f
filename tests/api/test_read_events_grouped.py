"""Reads' audit events committed in groups (``docintel.documents.access.GroupCommit``), with real request
threads on the real database: each response waits for its own event's commit, a failed commit fails
every read it carried and leaves none of their events, and a lone read records what it always did.

On PostgreSQL the group commit is off by default (``DOCINTEL_READ_EVENTS_GROUP_COMMIT=sqlite``); these
tests turn it on there so that both databases run the same code.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from audit.models import AuditEvent
from docintel.accounts.models import ApiToken
from docintel.documents import access
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db(transaction=True)
LIST = "/api/v1/documents/"
READERS = 8


@pytest.fixture(autouse=True)
def _grouped_on_either_database(settings):
    settings.READ_EVENTS_GROUP_COMMIT = "on"


@pytest.fixture
def token(users) -> str:
    """A token already used once: its first use is stamped (a write of its own) and it is cached, so
    that the readers' only write is their event."""
    key = ApiToken.issue(users["reviewer"], "group commit")[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(LIST).status_code == 200
    return key


def _viewed(document_id) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="document.viewed", document_id=document_id))


class _Reader(threading.Thread):
    """A request thread: reads one document through the API, then looks on its own connection (which
    sees committed rows only) for that read's event, at once, before anything else can commit it."""

    def __init__(self, token: str, document_id) -> None:
        super().__init__()
        self.token, self.document_id = token, document_id
        self.status: int | None = None
        self.body: dict = {}
        self.events_seen_after_response: int | None = None
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Token {self.token}")
            response = api.get(f"{LIST}{self.document_id}/")
            self.status, self.body = response.status_code, response.json()
            self.events_seen_after_response = len(_viewed(self.document_id))
        except BaseException as failure:  # reported by the test
            self.failure = failure
        finally:
            connections.close_all()


class _WriteLockHeld:
    """Hold back every append to the log from other connections while the readers queue up: on SQLite
    the database's write lock (a transaction of this thread), on PostgreSQL a lock on the event table."""

    def __enter__(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # SQLite: BEGIN IMMEDIATE, the write lock is this thread's
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE audit_auditevent IN EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)


def _read_together(token: str, document_ids: list) -> list[_Reader]:
    """Start one reader per document while appends are held back, let them go once all have handed
    over their events (all but the one leading, on PostgreSQL, whose own append is what waits), and
    wait for every response."""
    group = access.read_event_group()
    readers = [_Reader(token, pk) for pk in document_ids]
    with _WriteLockHeld():
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + 30
        while group.waiting() < len(readers) - 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # the last one, on SQLite
    for reader in readers:
        reader.join(60)
    assert not [r.failure for r in readers if r.failure is not None]
    return readers


def test_concurrent_reads_share_commits_and_each_response_follows_its_own_commit(token):
    documents = [DocumentFactory() for _ in range(READERS)]
    group = access.read_event_group()
    commits_before, events_before = group.commits, group.events

    readers = _read_together(token, [d.pk for d in documents])

    assert [r.status for r in readers] == [200] * READERS
    # Each thread found its event committed as soon as it had its response.
    assert [r.events_seen_after_response for r in readers] == [1] * READERS
    assert group.events - events_before == READERS
    assert group.commits - commits_before <= 2  # SQLite: one; PostgreSQL: the leader's own, then the rest


def test_a_failed_commit_fails_every_read_it_carried_and_records_none_of_them(token):
    documents = [DocumentFactory() for _ in range(READERS)]
    refused = documents[-1].pk
    with _refusing_events_of(refused):
        readers = _read_together(token, [d.pk for d in documents])

    failed = [r for r in readers if r.status != 200]
    assert {r.status for r in failed} == {503}
    assert {r.body["error"]["code"] for r in failed} == {"audit_unavailable"}
    assert refused in {r.document_id for r in failed}
    # The refused event's transaction carried the others waiting with it (all of them on SQLite; on
    # PostgreSQL all but the first leader's): they fail with it, and not one of their events was kept.
    assert len(failed) >= READERS - 1
    for reader in readers:
        assert len(_viewed(reader.document_id)) == (1 if reader.status == 200 else 0)
    # The next read, on its own, is recorded and served as usual.
    follow_up = _read_together(token, [documents[0].pk])[0]
    assert follow_up.status == 200


def test_a_lone_read_records_the_event_it_recorded_before(api_for, users, settings):
    """The grouped commit and one transaction per read (``off``) record the same events: same action,
    actor, document, purpose and details, for a document's detail and for a list."""
    document = DocumentFactory()
    api = api_for("reviewer")
    recorded = {}
    for mode in ("on", "off"):
        settings.READ_EVENTS_GROUP_COMMIT = mode
        before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        assert api.get(f"{LIST}{document.pk}/").status_code == 200
        assert api.get(LIST, {"status": "queued"}).status_code == 200
        recorded[mode] = [
            (e.action, e.actor_id, e.actor_username, e.actor_role, e.document_id, e.purpose, e.details_dict)
            for e in AuditEvent.objects.filter(seq__gt=before).order_by("seq")]
    assert recorded["on"] == recorded["off"]
    assert [event[0] for event in recorded["on"]] == ["document.viewed", "document.listed"]
    assert recorded["on"][0][6] == {"via": "api", "what": "document"}


class _refusing_events_of:
    """A trigger of the database that refuses to append any event about ``document_id`` (the stand-in
    for a commit that fails: a full disk, a constraint, a lost connection)."""

    def __init__(self, document_id: uuid.UUID) -> None:
        self.document_id = document_id

    def __enter__(self):
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "CREATE TRIGGER test_refuse_event BEFORE INSERT ON audit_auditevent "
                    f"WHEN NEW.document_id = '{self.document_id.hex}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
            else:
                cursor.execute(
                    "CREATE FUNCTION test_refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.document_id = '{self.document_id}' THEN RAISE EXCEPTION 'refused by the test'; "
                    "END IF; RETURN NEW; END $$")
                cursor.execute("CREATE TRIGGER test_refuse_event BEFORE INSERT ON audit_auditevent "
                               "FOR EACH ROW EXECUTE FUNCTION test_refuse_event()")
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_refuse_event" if connection.vendor == "sqlite"
                           else "DROP TRIGGER test_refuse_event ON audit_auditevent")
            if connection.vendor != "sqlite":
                cursor.execute("DROP FUNCTION test_refuse_event()")
