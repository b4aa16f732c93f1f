"""Conditional reads: an ``ETag`` on what a poller reads again and again (a document, its extraction,
its redacted text), and ``304 Not Modified`` when the client's ``If-None-Match`` still matches.

The tag is a hash of the JSON body itself, so it changes exactly when the answer does (a new stage
status, a reviewer's correction) and needs no bookkeeping of its own.
"""

from __future__ import annotations

import hashlib

import orjson
from django.utils.http import parse_etags
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.response import Response

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER,
    description="The ETag of an earlier answer: 304 with no body while it is still current.")
ETAG = OpenApiParameter(
    "ETag", str, OpenApiParameter.HEADER, response=[200, 304],
    description="Send it back as If-None-Match: 304 while nothing changed.")
NOT_MODIFIED = {304: OpenApiResponse(description="Not modified since the given ETag (no body)")}


def etag_of(body) -> str:
    # orjson: the read paths pass stored JSON through as orjson.Fragment, written here as stored.
    canonical = orjson.dumps(body, default=str, option=orjson.OPT_SORT_KEYS)
    return f'"{hashlib.sha256(canonical).hexdigest()[:32]}"'


def still_current(request, etag: str) -> bool:
    """Whether the client's If-None-Match names ``etag`` (or ``*``)."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    tags = parse_etags(header)
    # Weak comparison, as RFC 9110 asks for If-None-Match: W/"x" matches "x".
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def conditional(request, body) -> Response:
    """``body`` as a 200 with its ETag, or a bodiless 304 when the client has it already."""
    etag = etag_of(body)
    if still_current(request, etag):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return Response(body, headers={"ETag": etag})
