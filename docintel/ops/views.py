"""``/healthz``, ``/readyz`` and ``/metrics`` (contract §8). They are answered by
``middleware.OperationsEndpointsMiddleware``, ahead of host validation, sessions and the audit."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST

from . import metrics, readiness


def healthz(request) -> JsonResponse:
    """200 while the process serves requests; it checks nothing else, by design (liveness)."""
    return JsonResponse({"status": "ok"})


def readyz(request) -> JsonResponse:
    ready, checks = readiness.readiness()
    body = {"status": "ready" if ready else "unready",
            "checks": {name: check.as_dict() for name, check in checks.items()}}
    return JsonResponse(body, status=200 if ready else 503)


def metrics_view(request) -> HttpResponse:
    if not metrics.metrics_allowed(request.META.get("REMOTE_ADDR", ""),
                                   request.META.get("HTTP_AUTHORIZATION", "")):
        return JsonResponse({"error": {"code": "forbidden", "message": "metrics are for the monitoring "
                                       "system only (DOCINTEL_METRICS_ALLOWED_IPS, DOCINTEL_METRICS_TOKEN)"}},
                            status=403)
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
