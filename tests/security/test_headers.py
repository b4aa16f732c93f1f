"""Finding 14: every page and response carries a Content-Security-Policy without inline script,
``Cache-Control: no-store`` (documents are PHI: no browser or proxy keeps them), ``Referrer-Policy`` and
``X-Content-Type-Options``; HSTS when the request came over TLS. No template holds inline script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import engines

from .conftest import api_as

pytestmark = pytest.mark.django_db


def assert_hardened(response, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    script_src = (re.search(r"(?:^|;)\s*script-src ([^;]*)", csp)
                  or re.search(r"(?:^|;)\s*default-src ([^;]*)", csp))
    assert script_src, (where, csp)
    assert "'unsafe-inline'" not in script_src.group(1) and "'unsafe-eval'" not in script_src.group(1), where
    assert re.search(r"(?:^|;)\s*frame-ancestors 'none'", csp), (where, csp)
    assert re.search(r"(?:^|;)\s*object-src 'none'", csp), (where, csp)
    assert "no-store" in response.headers.get("Cache-Control", ""), where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin"), where


def test_pages_downloads_and_api_responses_are_hardened(client, clerk, superuser, document_with_outputs):
    doc = document_with_outputs.pk
    assert_hardened(client.get("/login/"), "/login/")
    client.force_login(clerk)
    for url in ("/documents/", f"/documents/{doc}/", f"/documents/{doc}/download/redacted.txt",
                f"/documents/{doc}/download/extraction.json", "/upload/", "/account/tokens/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_hardened(response, url)
    api = api_as(clerk)
    for url in (f"/api/v1/documents/{doc}/", f"/api/v1/documents/{doc}/redacted/", "/api/v1/documents/"):
        response = api.get(url)
        assert response.status_code == 200, url
        assert_hardened(response, url)
    client.force_login(superuser)
    for url in ("/admin/", "/admin/documents/document/", "/audit/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_hardened(response, url)


def test_hsts_only_when_served_over_tls(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert "Strict-Transport-Security" not in client.get("/login/").headers
    over_tls = client.get("/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert "max-age=" in over_tls.headers.get("Strict-Transport-Security", "")
    assert "max-age=" in client.get("/login/", secure=True).headers.get("Strict-Transport-Security", "")
    spoofed = client.get("/login/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in spoofed.headers


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def project_templates() -> list[Path]:
    root = Path(__file__).resolve().parents[2]
    found = []
    for engine in engines.all():
        for loader in engine.engine.template_loaders:
            for directory in loader.get_dirs():
                directory = Path(directory)
                if directory.is_relative_to(root) and ".venv" not in directory.parts:
                    found.extend(directory.rglob("*.html"))
    assert found, "no project templates found"
    return found


def test_no_template_holds_inline_script_or_event_handlers():
    for template in project_templates():
        text = template.read_text()
        assert not INLINE_SCRIPT.search(text), f"inline <script> in {template}"
        assert not EVENT_HANDLER.search(text), f"inline event handler in {template}"
        assert not JS_URL.search(text), f"javascript: URL in {template}"


def test_api_docs_pages_load_their_script_from_files(client, clerk):
    client.force_login(clerk)
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not INLINE_SCRIPT.search(response.content.decode()), url
        assert_hardened(response, url)
