"""JSON responses rendered by orjson: the same compact UTF-8 JSON as DRF's renderer, several times faster
on the list pages that internal systems poll (docs/BENCHMARKS.md, "REST API").

Values stored as JSON text (a document's stages and warnings) can be passed through as
``orjson.Fragment`` without being parsed and re-encoded.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

import orjson
from django.utils.functional import Promise
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer

OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _other(value):
    """What orjson does not know natively, as DRF's encoder writes it."""
    if isinstance(value, Promise):  # lazy translations
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.timedelta):
        return str(value.total_seconds())
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data) -> bytes:
    return orjson.dumps(data, default=_other, option=OPTIONS)


class FastJSONRenderer(JSONRenderer):
    """DRF's JSON renderer contract (``application/json``, ``None`` is an empty body), rendered by
    orjson. Browsable-API indentation is not offered: docintel's API renders JSON only."""

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps(data)


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, answered at once when the client accepts anything (no ``Accept``, or
    ``*/*``, as HTTP libraries send by default) and asks for no ``?format=``: the view's first renderer,
    as DRF would pick it. Parsing the header was about 3 % of a detail request's CPU."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if (not format_suffix and request.META.get("HTTP_ACCEPT", "*/*") == "*/*" and renderers
                and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
                and "*" not in renderers[0].media_type):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
