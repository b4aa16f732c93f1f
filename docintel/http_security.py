"""HTTP hardening beyond Django's ``SecurityMiddleware``: who the client really is behind a reverse
proxy, and responses that no browser or proxy keeps.

``TrustedProxyMiddleware`` (first in ``MIDDLEWARE``): when the peer is one of
``DOCINTEL_TRUSTED_PROXIES`` (addresses or networks, e.g. ``127.0.0.1`` for the bundled nginx on the
same host), ``REMOTE_ADDR`` becomes the client that proxy saw, read from ``X-Forwarded-For`` from the
right, skipping the trusted proxies, as Django deployments behind several proxies do; the proxy's own
address is kept in ``META["DOCINTEL_PEER_ADDR"]``. ``X-Forwarded-Proto: https`` from a trusted proxy
marks the request secure (HSTS, secure redirects). From anyone else both headers are ignored: a client
cannot choose the address its failed sign-ins are counted against, nor claim TLS it does not have.

``NoStoreMiddleware``: every response the application makes may carry document content or audit data,
so none is stored by browsers or proxies (``Cache-Control: no-store``). Static files are served by
WhiteNoise before this runs and keep their own caching headers. API responses in JSON are attachments
(OWASP ASVS 14.4.2): opened in a browser tab they are saved, never rendered.

``CSPMiddleware``: django-csp's, with the policy of the settings built once per process instead of on
every response (it was about a sixth of an API detail request's CPU; docs/BENCHMARKS.md, "REST API read
paths"). A response with a policy of its own (``csp_update`` and the like) or a request that used its
nonce goes through django-csp's own code.

``WithoutQueryStrings``: a logging filter for request lines (``runserver``'s ``django.server`` log),
which would otherwise keep searches (``?q=`` names a patient) in the server's log.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.cache import add_never_cache_headers

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


@cache
def _trusted_networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse(address: str):
    try:
        return ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    parsed = _parse(address)
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    return parsed is not None and any(parsed in network for network in networks)


def client_from_forwarded_for(peer: str, forwarded_for: str) -> str:
    """The first address, from the right, that is not a trusted proxy; the last good hop when the
    header runs out or holds something that is not an address."""
    client = peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if _parse(hop) is None:
            break  # garbage a client wrote: everything left of it is theirs too
        client = str(_parse(hop))
        if not is_trusted_proxy(client):
            break
    return client


class TrustedProxyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        forwarded_for = meta.pop("HTTP_X_FORWARDED_FOR", "")
        forwarded_proto = meta.pop("HTTP_X_FORWARDED_PROTO", "")
        peer = meta.get("REMOTE_ADDR", "")
        if is_trusted_proxy(peer):
            meta["DOCINTEL_PEER_ADDR"] = peer
            meta["REMOTE_ADDR"] = client_from_forwarded_for(peer, forwarded_for)
            if forwarded_proto.split(",")[0].strip().lower() == "https":
                meta["wsgi.url_scheme"] = "https"
        return self.get_response(request)


class NoStoreMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if request.path.startswith("/api/") and is_json:
            response.headers.setdefault("Content-Disposition", 'attachment; filename="api.json"')
        return response


# What django-csp reads from a response that brings its own policy (its decorators set them).
_OWN_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro",
               "_csp_replace_ro")
_CSP_SETTINGS = {"CONTENT_SECURITY_POLICY": HEADER, "CONTENT_SECURITY_POLICY_REPORT_ONLY": HEADER_REPORT_ONLY}


@cache
def _settings_policy(setting: str) -> tuple[str, tuple[str, ...]]:
    """The header value the settings give (empty: none) and the path prefixes it leaves out."""
    policy = build_policy(report_only=setting.endswith("REPORT_ONLY"))
    prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
    return policy, prefixes


@receiver(setting_changed)
def _policy_changed(setting, **kwargs) -> None:
    if setting in _CSP_SETTINGS:
        _settings_policy.cache_clear()


class CSPMiddleware(BaseCSPMiddleware):
    def process_response(self, request, response):
        if (getattr(request, "_csp_nonce", None) is not None
                or any(hasattr(response, name) for name in _OWN_POLICY)
                or (settings.DEBUG and response.status_code in (404, 500))):
            return super().process_response(request, response)
        for setting, header in _CSP_SETTINGS.items():
            policy, prefixes = _settings_policy(setting)
            exempt = getattr(response, "_csp_exempt_ro" if setting.endswith("ONLY") else "_csp_exempt", False)
            if policy and header not in response and exempt is False \
                    and not request.path_info.startswith(prefixes):
                response[header] = policy
        # As django-csp: the nonce cannot be asked for once the header is written.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


_QUERY = re.compile(r"\?[^\s\"]*")


class WithoutQueryStrings(logging.Filter):
    """Cuts the query string out of the request line a record carries (its arguments or message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub("", arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str) and not record.args:
            record.msg = _QUERY.sub("", record.msg)
        return True
