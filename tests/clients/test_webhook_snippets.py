"""The webhook verification snippets of docs/API.md, run as integrators would paste them, against
signatures docintel makes: a fresh one passes; another secret, a changed body, a changed timestamp or
an old timestamp (a replay) fails."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from docintel.api.webhooks import signature_header

from .conftest import GENERATED, doc_snippet, require_node_tools, verify_webhook_from_docs

SECRET = "the deployment's webhook secret"
BODY = b'{"event": "document.settled", "id": "5b0c", "status": "done"}'


def cases() -> list[tuple[str, str, bytes, bool]]:
    """(what, signature header, body, should verify) with signatures made by docintel itself, now: call
    it when the test runs (a "fresh" signature made at collection is a replay by the time a long suite
    reaches the test)."""
    now = int(time.time())
    fresh = signature_header(BODY, timestamp=now, secret=SECRET.encode())
    old = signature_header(BODY, timestamp=now - 3600, secret=SECRET.encode())
    forged = signature_header(BODY, timestamp=now, secret=b"not the secret")
    moved = fresh.replace(f"t={now}", f"t={now + 1}")
    return [("fresh", fresh, BODY, True), ("changed body", fresh, BODY.replace(b"done", b"failed"), False),
            ("another secret", forged, BODY, False), ("changed timestamp", moved, BODY, False),
            ("replayed an hour later", old, BODY, False), ("no signature", "", BODY, False)]


@pytest.mark.parametrize("what", [case[0] for case in cases()])
def test_python_snippet(what):
    _, header, body, expected = next(case for case in cases() if case[0] == what)
    assert verify_webhook_from_docs()(SECRET.encode(), header, body) is expected, what


def test_node_snippet():
    require_node_tools()
    GENERATED.mkdir(exist_ok=True)
    module = GENERATED / "verify-webhook.mjs"
    module.write_text(doc_snippet("verify-webhook-node"))
    runs = [{"what": what, "header": header, "body": body.decode(), "expected": expected}
            for what, header, body, expected in cases()]
    script = (f"import {{ verifyDocintelWebhook }} from {json.dumps(module.as_uri())};\n"
              f"const runs = {json.dumps(runs)};\n"
              f"console.log(JSON.stringify(runs.map(r => [r.what, verifyDocintelWebhook("
              f"{json.dumps(SECRET)}, r.header, Buffer.from(r.body)) === r.expected])));\n")
    result = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    outcomes = dict(json.loads(result.stdout))
    assert all(outcomes.values()), outcomes
