"""Middleware of the operations app.

``OperationsEndpointsMiddleware`` goes first in MIDDLEWARE: load balancers and Prometheus call
``/healthz``, ``/readyz`` and ``/metrics`` by IP address, often without the Host name Django expects,
over plain HTTP and with no session. Answering them first keeps them out of host validation, the HTTPS
redirect, sessions and the audit of user requests.

``ReplicaReadsMiddleware`` lets the views named in ``REPLICA_VIEWS`` read from the read replica.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.urls import Resolver404, resolve

from docintel.replica import reads_from_replica

from .views import healthz, metrics_view, readyz

VIEWS = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_view}


class OperationsEndpointsMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        view = VIEWS.get(request.path_info.rstrip("/"))
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"error": {"code": "method_not_allowed", "message": "use GET"}}, status=405)
        response = view(request)
        response["Cache-Control"] = "no-store"
        return response


class ReplicaReadsMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or "replica" not in settings.DATABASES:
            return self.get_response(request)
        try:
            name = resolve(request.path_info).url_name
        except Resolver404:
            name = None
        if name not in settings.REPLICA_VIEWS:
            return self.get_response(request)
        with reads_from_replica():
            return self.get_response(request)
