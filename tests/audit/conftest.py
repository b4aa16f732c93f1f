"""Audit test helpers: people with roles, documents, and a way to run commands like an operator."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from docintel.accounts.roles import set_roles
from docintel.documents.models import Document

PASSWORD = "an audit test password 42"


@pytest.fixture
def make_user(db):
    def make(username: str, *roles: str):
        user = get_user_model().objects.create_user(username, password=PASSWORD)
        set_roles(user, set(roles))
        return user

    return make


@pytest.fixture
def make_document(db):
    def make(name: str = "note.txt", text: str = "Patient John Smith, MRN 123456.") -> Document:
        import hashlib

        sha256 = hashlib.sha256(name.encode() + text.encode()).hexdigest()
        return Document.objects.create(filename=name, sha256=sha256, size=len(text), media_type="text/plain",
                                       text=text, page_offsets=[0])

    return make


def run_command(name: str, *args) -> tuple[int, str, str]:
    """Run a management command in-process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def verify_json() -> dict:
    code, out, _ = run_command("audit_verify", "--json")
    result = json.loads(out)
    assert (code == 0) == result["ok"]
    return result
