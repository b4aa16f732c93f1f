"""Clients generated from docintel's own OpenAPI schema at test time, a live server, and a webhook
receiver: what an integrator has.

The schema comes from ``manage.py spectacular``; the Python client from openapi-python-client (pinned
in pyproject.toml), the TypeScript types from openapi-typescript (pinned in tests/package-lock.json).
Nothing generated is committed: it all goes to ``tests/clients/generated/`` (ignored by git).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import ROOT, CeleryWorker, purge_broker, require_services
from tests.webhook_receiver import WebhookReceiver

HERE = Path(__file__).resolve().parent
GENERATED = HERE / "generated"
NODE_MODULES = ROOT / "tests" / "node_modules"
API_DOCS = ROOT / "docs" / "API.md"
WEBHOOK_SECRET = "webhook secret shared with the integrator"
PYTHON_PACKAGE = "docintel_api_client"


def require_node_tools() -> None:
    """The npm packages of tests/package.json; CI installs them (`npm ci --prefix tests`)."""
    if (NODE_MODULES / ".bin" / "openapi-typescript").exists():
        return
    message = "needs the npm test tools: npm ci --prefix tests"
    if os.environ.get("DOCINTEL_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def node_tool(name: str) -> str:
    return str(NODE_MODULES / ".bin" / name)


def doc_snippet(name: str) -> str:
    """The code block that follows ``<!-- snippet: NAME ... -->`` in docs/API.md."""
    text = API_DOCS.read_text()
    match = re.search(rf"<!-- snippet: {re.escape(name)}\b.*?-->\s*```\w*\n(.*?)```", text, re.S)
    assert match, f"docs/API.md has no snippet {name}"
    return match.group(1)


def verify_webhook_from_docs():
    """The Python verification function exactly as docs/API.md gives it to integrators."""
    namespace: dict = {}
    exec(compile(doc_snippet("verify-webhook-python"), "docs/API.md", "exec"), namespace)  # noqa: S102
    return namespace["verify_docintel_webhook"]


@pytest.fixture(scope="session")
def openapi_schema() -> Path:
    """The schema as ``manage.py spectacular`` writes it for integrators."""
    GENERATED.mkdir(exist_ok=True)
    path = GENERATED / "docintel.yaml"
    call_command("spectacular", "--file", str(path), "--validate")
    return path


@pytest.fixture(scope="session")
def python_client(openapi_schema):
    """The package openapi-python-client generates from the schema, imported."""
    output = GENERATED / "python"
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    generator = Path(sys.executable).parent / "openapi-python-client"
    config = output / "config.json"
    config.write_text(json.dumps({"package_name_override": PYTHON_PACKAGE}))
    result = subprocess.run(
        [str(generator), "generate", "--path", str(openapi_schema), "--meta", "none", "--config", str(config),
         "--output-path", str(output / PYTHON_PACKAGE)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PATH": f"{generator.parent}{os.pathsep}{os.environ.get('PATH', '')}"})  # its ruff
    assert result.returncode == 0, result.stdout + result.stderr
    # Every schema warning means a part of the API the generated client cannot use.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(output))
    try:
        yield importlib.import_module(PYTHON_PACKAGE)
    finally:
        sys.path.remove(str(output))
        for name in [n for n in sys.modules if n == PYTHON_PACKAGE or n.startswith(PYTHON_PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="session")
def typescript_types(openapi_schema) -> Path:
    """``paths`` and ``components`` types that openapi-typescript generates from the schema."""
    require_node_tools()
    path = GENERATED / "docintel-api.d.ts"
    # Fields with a default are optional in requests (openapi-typescript 7 makes them required unless told).
    result = subprocess.run([node_tool("openapi-typescript"), str(openapi_schema),
                             "--default-non-nullable=false", "-o", str(path)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return path


@pytest.fixture
def webhook_receiver():
    with WebhookReceiver() as receiver:
        yield receiver


# The test receiver listens on the loopback address, which webhooks may reach only when allowed.
WORKER_ENV = {"DOCINTEL_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1:*", "DOCINTEL_WEBHOOK_SECRET": WEBHOOK_SECRET}


@pytest.fixture
def webhooks_to_loopback(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1:*"]
    settings.WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def processing(transactional_db, webhooks_to_loopback, test_output_dir):
    """What processes uploads: a real Celery worker with REDIS_URL (allowed to call the test's
    webhook receiver), else the live server's own in-process runner."""
    if os.environ.get("DOCINTEL_REQUIRE_SERVICES") == "1" or os.environ.get("REDIS_URL"):
        require_services("DATABASE_URL", "REDIS_URL")
        purge_broker()
        worker = CeleryWorker(test_output_dir / "celery-worker-clients.log", **WORKER_ENV).start()
        yield worker
        worker.stop()
        return
    yield None
    from docintel import task_runner

    task_runner.wait_idle(600)  # let queued stages finish before the test database is flushed


@pytest.fixture
def tokens(transactional_db) -> dict[str, str]:
    """An API key per role, as ``manage.py issue_token`` gives integrators."""
    from django.contrib.auth import get_user_model

    from docintel.accounts.models import ApiToken
    from docintel.accounts.roles import set_roles

    keys = {}
    for role in ("clerk", "reviewer", "compliance", "admin"):
        user = get_user_model().objects.create_user(f"{role}-integrator")
        set_roles(user, {role})
        keys[role] = ApiToken.issue(user, "generated client tests")[1]
    return keys
