from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from .views import DocumentViewSet

PUBLIC = {"url_name": "api-schema", "permission_classes": []}

router = SimpleRouter()
router.register("documents", DocumentViewSet, basename="api-document")

urlpatterns = [
    path("audit/", include("audit.api_urls")),
    # The schema and its docs pages are public: they describe the API, they hold no data.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(**PUBLIC), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(**PUBLIC), name="api-redoc"),
    *router.urls,
]
