"""Audit test helpers: run commands as an operator would, and verify the log."""

from __future__ import annotations

import io
import json

from django.core.management import call_command
from rest_framework.test import APIClient

from docintel.accounts.models import ApiToken


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


def api_client(user) -> APIClient:
    _, key = ApiToken.issue(user, "tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
