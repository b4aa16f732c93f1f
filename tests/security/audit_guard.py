"""A standing check for the whole suite: every write of document data or access rights that the
application makes commits in a transaction that also appended an audit event.

Loaded for every test (``tests/conftest.py``). It watches the SQL itself, so no path escapes it: a
``save()``, a queryset ``update()``/``delete()``, a many-to-many ``add()``, raw SQL, an admin page, a
command, a stage run by the in-process task runner. A write is the application's when the call stack
passes through docintel's code, a request handler or a management command; rows a test sets up for
itself through the ORM are left alone. A test fails (at teardown) when such a write

- runs in autocommit (no transaction: nothing else can be in it), or
- is in a transaction that commits without appending to ``audit_auditevent``.

``WATCHED`` names the tables that hold document data or access rights, with the columns whose change is
bookkeeping rather than data or rights (a stage's progress, a token's last use, a sign-in time).
A new table of that kind belongs here.
"""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path

import pytest
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.transaction import Atomic, get_connection

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = tuple(str(ROOT / name) + "/" for name in ("docintel", "audit", "extraction"))
# Frames that make a write the application's even when no docintel file is on the stack.
ENTRY_POINTS = ("/django/core/handlers/", "/django/core/management/", "/celery/app/trace.py")
# The test framework's own set-up and clean-up (flushing the database between transactional tests).
TEST_MACHINERY = ("/django/test/testcases.py",)

WATCHED: dict[str, frozenset[str]] = {
    "documents_document": frozenset({"stages", "status", "updated"}),
    "redaction_redactionresult": frozenset(),
    "extraction_extraction": frozenset(),
    "extraction_correction": frozenset(),
    "accounts_apitoken": frozenset({"last_used"}),
    "accounts_documentassignment": frozenset(),
    "auth_user_groups": frozenset(),
    "auth_user": frozenset({"last_login", "first_name", "last_name", "email"}),
}

_WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_SET_COLUMNS = re.compile(r'"(\w+)"\s*=')
_AUDIT_APPEND = re.compile(r'audit_append\(|INSERT\s+INTO\s+"?audit_auditevent"?\b', re.IGNORECASE)

violations: list[str] = []
_violations_lock = threading.Lock()


def _report(message: str) -> None:
    with _violations_lock:
        violations.append(message)


def _user_depth(connection) -> int:
    """Atomic blocks the code under test opened (not the test case's own wrapping transaction)."""
    return sum(1 for block in connection.atomic_blocks if not getattr(block, "_from_testcase", False))


def _application_frame() -> str | None:
    """Where the application made this write ("file:line"), or None when only test code did."""
    frame = sys._getframe(2)
    found = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.endswith(TEST_MACHINERY):
            return None
        if filename.startswith(APP_DIRS):
            return f"{Path(filename).relative_to(ROOT)}:{frame.f_lineno}"
        if found is None and any(part in filename for part in ENTRY_POINTS):
            found = f"{filename.split('/site-packages/')[-1]}:{frame.f_lineno}"
        frame = frame.f_back
    return found


def _changed_columns(sql: str) -> set[str]:
    set_clause = re.split(r"\bWHERE\b", sql.split(" SET ", 1)[-1], maxsplit=1, flags=re.IGNORECASE)[0]
    return set(_SET_COLUMNS.findall(set_clause))


def _state(connection) -> dict:
    state = connection.__dict__.get("_audit_guard")
    if state is None:
        state = connection.__dict__["_audit_guard"] = {"writes": [], "audited": []}
    return state


def _watch(execute, sql, params, many, context):
    connection = context["connection"]
    text = sql if isinstance(sql, str) else str(sql)
    depth = _user_depth(connection)
    if _AUDIT_APPEND.search(text):
        _state(connection)["audited"].append(depth)
    else:
        match = _WRITE.match(text)
        table = match and match.group(2).lower()
        if table in WATCHED:
            verb = match.group(1).split()[0].upper()
            columns = _changed_columns(text) if verb == "UPDATE" else set()
            if not (verb == "UPDATE" and columns and columns <= WATCHED[table]):
                where = _application_frame()
                if where is not None:
                    what = f"{verb} {table}" + (f" ({', '.join(sorted(columns))})" if columns else "")
                    if depth == 0:
                        _report(f"{what} at {where} ran outside any transaction: no audit event can be in it")
                    else:
                        _state(connection)["writes"].append((depth, what, where))
    return execute(sql, params, many, context)


def _install(connection) -> None:
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def _on_connection_created(sender, connection, **kwargs) -> None:
    _install(connection)


_original_exit = Atomic.__exit__


def _exit(self, exc_type, exc_value, traceback):
    connection = get_connection(self.using)
    depth = _user_depth(connection)
    state = connection.__dict__.get("_audit_guard")
    try:
        return _original_exit(self, exc_type, exc_value, traceback)
    finally:
        if state is not None and not getattr(self, "_from_testcase", False):
            rolled_back = exc_type is not None
            if rolled_back:  # this block's writes and events are gone together
                state["writes"] = [w for w in state["writes"] if w[0] < depth]
                state["audited"] = [d for d in state["audited"] if d < depth]
            if depth == 1:  # the outermost block of the code under test: its transaction ends here
                if not state["audited"]:
                    for _, what, where in state["writes"]:
                        _report(f"{what} at {where} committed in a transaction with no audit event")
                state["writes"], state["audited"] = [], []


def pytest_configure(config) -> None:
    Atomic.__exit__ = _exit
    connection_created.connect(_on_connection_created, dispatch_uid="tests.security.audit_guard")
    for connection in connections.all(initialized_only=True):
        _install(connection)


@pytest.fixture(autouse=True)
def writes_are_audited():
    """Fails the test if the application wrote document data or access rights without an event."""
    for connection in connections.all(initialized_only=True):
        _install(connection)
    start = len(violations)
    yield
    found = violations[start:]
    if found:
        pytest.fail("unaudited writes of document data or access rights:\n  " + "\n  ".join(found))
