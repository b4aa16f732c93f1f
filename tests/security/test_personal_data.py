"""Finding 15: the immutable log keeps what an auditor needs and no secret or personal data it cannot
forget: no typed user name of a failed sign-in (a password typed into the name field would stay there
for good), no client address in clear, no search terms; search terms stay out of server logs too."""

from __future__ import annotations

import json
import logging
import re

import pytest

from .conftest import PASSWORD, api_as, events, last_seq, person

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.23"


def log_text(since: int = 0) -> str:
    return "\n".join(json.dumps(event.as_record()) for event in events().filter(seq__gt=since))


def test_a_failed_sign_in_keeps_no_typed_name_in_clear(client):
    since = last_seq()
    client.post("/login/", {"username": "Tr0ub4dor&3-typed-in-the-wrong-box", "password": "x"})
    failed = events("auth.login_failed").filter(seq__gt=since).get()
    assert "Tr0ub4dor" not in log_text(since)
    # The same unknown name twice is recognisable as the same (a keyed hash), without being readable.
    client.post("/login/", {"username": "Tr0ub4dor&3-typed-in-the-wrong-box", "password": "y"})
    again = events("auth.login_failed").filter(seq__gt=failed.seq).get()
    assert failed.details_dict["username_hash"] == again.details_dict["username_hash"]


def test_a_failed_sign_in_of_a_real_account_names_the_account(client):
    maria = person("maria", "clerk")
    client.post("/login/", {"username": "maria", "password": "wrong"})
    failed = events("auth.login_failed").get()
    assert failed.details_dict["user_id"] == maria.pk


def test_client_addresses_are_not_kept_in_clear(client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    person("maria", "clerk")
    since = last_seq()
    for password in ("wrong", "wrong", PASSWORD):  # failures, then a throttled attempt
        client.post("/login/", {"username": "maria", "password": password}, REMOTE_ADDR=ADDRESS)
    client.post("/login/", {"username": "maria", "password": PASSWORD}, REMOTE_ADDR="198.51.100.24")
    client.get("/documents/", REMOTE_ADDR=ADDRESS)
    text = log_text(since)
    assert events("auth.login_throttled").filter(seq__gt=since).exists()
    assert ADDRESS not in text and "198.51.100.24" not in text
    throttled = events("auth.login_throttled").filter(seq__gt=since).get()
    assert throttled.details_dict.get("client"), "the auditor still sees which attempts came from one client"


def test_search_terms_stay_out_of_events_and_logs(client, clerk, caplog):
    caplog.set_level(logging.DEBUG)
    since = last_seq()
    client.force_login(clerk)
    client.get("/documents/?q=Jane+Roe+oncology")
    api_as(clerk).get("/api/v1/documents/?q=Jane+Roe+oncology")
    assert "Jane" not in log_text(since) and "oncology" not in log_text(since)
    assert "oncology" not in caplog.text


def test_the_development_server_log_keeps_no_query_strings():
    """``runserver`` (the quick start's server) logs each request line; the query goes before it does."""
    logger = logging.getLogger("django.server")
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append
    logger.addHandler(handler)
    try:
        logger.info('"%s" %s %s', "GET /documents/?q=Jane+Roe HTTP/1.1", "200", "512")
    finally:
        logger.removeHandler(handler)
    message = seen[0].getMessage()
    assert "Jane" not in message and "GET /documents/" in message


def test_gunicorn_and_nginx_log_paths_without_query_strings():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "deploy"
    for unit in (root / "systemd" / "docintel-web.service", root / "compose" / "compose.yaml"):
        text = unit.read_text()
        if "--access-logfile" in text:
            assert "--access-logformat" in text, unit
            assert "%(r)s" not in text and "%(q)s" not in text and "%(f)s" not in text, unit
    nginx = (root / "nginx" / "docintel.conf").read_text()
    formats = re.findall(r"log_format\s+(\w+)([^;]*);", nginx)
    assert formats, "nginx must define its own log format (its default logs the query string)"
    for _, variables in formats:
        for variable in ("$request ", "$request'", "$request\"", "$request_uri", "$args", "$query_string",
                         "$http_referer", "$arg_"):
            assert variable not in variables, variable
    used = re.findall(r"access_log\s+\S+\s+(\w+)\s*;", nginx)
    assert used and set(used) <= {name for name, _ in formats}, "every access_log names the safe format"
