"""One error shape for every API failure: ``{"error": {"code", "message"}}`` (contract §5)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from docintel.errors import DocintelError

log = logging.getLogger(__name__)

# What each status means to a client, as every operation declares it in the schema (issue 19: a
# generated client must know every answer it can get).
ERROR_MEANINGS = {
    400: "Bad input: the code says what", 401: "No token, or a revoked one",
    403: "Your role does not allow this (recorded in the audit log)", 404: "No such thing",
    409: "Not ready yet (a stage has not run) or not in the state this needs", 410: "Erased",
    413: "File too large", 415: "Not a file type docintel reads", 429: "Rate limit reached: see Retry-After",
    507: "The server's disk is full",
}


def declared_errors(*codes: int) -> dict:
    """``responses`` entries for ``extend_schema``: each status with the error envelope."""
    from drf_spectacular.utils import OpenApiResponse

    from .serializers import ErrorSerializer

    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_MEANINGS[code]) for code in codes}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _message(detail) -> str:
    """Flatten DRF's detail (a string, list or field dict) into one sentence."""
    if isinstance(detail, dict):
        return "; ".join(f"{field}: {_message(value)}" if field != "non_field_errors" else _message(value)
                         for field, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_message(item) for item in detail)
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, DocintelError):
        return Response(error_body(exc.code, exc.message), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:  # a bug: log where, not what (request data may hold PHI)
        log.error("API error %s in %s", type(exc).__name__, context["view"].__class__.__name__,
                  exc_info=exc)
        return Response(error_body("internal_error", "Something went wrong on the server; it is logged."),
                        status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if not isinstance(code, str):
        code = "invalid" if isinstance(exc, exceptions.ValidationError) else "error"
    response.data = error_body(code, _message(response.data.get("detail", response.data)
                                              if isinstance(response.data, dict) else response.data))
    return response

