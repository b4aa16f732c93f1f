from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import audit
from .views import DocumentViewSet

PUBLIC = {"url_name": "api-schema", "permission_classes": []}

router = SimpleRouter()
router.register("documents", DocumentViewSet, basename="api-document")

urlpatterns = [
    path("audit/events/", audit.EventsView.as_view(), name="api-audit-events"),
    path("audit/export/", audit.ExportView.as_view(), name="api-audit-export"),
    path("audit/status/", audit.StatusView.as_view(), name="api-audit-status"),
    path("audit/public-key/", audit.PublicKeyView.as_view(), name="api-audit-public-key"),
    # The schema and its docs pages are public: they describe the API, they hold no data.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(**PUBLIC), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(**PUBLIC), name="api-redoc"),
    *router.urls,
]
