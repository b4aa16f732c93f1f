from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import audit, schemas
from .views import DocumentViewSet, TokenViewSet

PUBLIC = {"url_name": "api-schema", "permission_classes": []}
# The docs pages run their scripts from files (Swagger UI's start-up script is served as a file of its
# own: the split view), but both set styles inline and Redoc runs a worker from a blob: those two pages
# alone may. Scripts stay 'self' only (settings.CONTENT_SECURITY_POLICY).
docs_page = csp_update({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})

router = SimpleRouter()
router.register("documents", DocumentViewSet, basename="api-document")
router.register("tokens", TokenViewSet, basename="api-token")

urlpatterns = [
    # The contract's name (§8) has no trailing slash, so it is routed here rather than by the router.
    path("documents/<uuid:pk>/redacted.pdf", DocumentViewSet.as_view({"get": "redacted_pdf"}),
         name="api-document-redacted-pdf"),
    path("audit/events/", audit.EventsView.as_view(), name="api-audit-events"),
    path("audit/export/", audit.ExportView.as_view(), name="api-audit-export"),
    path("audit/status/", audit.StatusView.as_view(), name="api-audit-status"),
    path("audit/public-key/", audit.PublicKeyView.as_view(), name="api-audit-public-key"),
    path("audit/public-keys/", audit.PublicKeysView.as_view(), name="api-audit-public-keys"),
    path("audit/events/<int:seq>/proof/", audit.ProofView.as_view(), name="api-audit-proof"),
    path("audit/consistency/", audit.ConsistencyView.as_view(), name="api-audit-consistency"),
    path("audit/tree-heads/", audit.TreeHeadsView.as_view(), name="api-audit-tree-heads"),
    path("schemas/", schemas.SchemaListView.as_view(), name="api-schema-list"),
    path("schemas/<slug:name>/", schemas.SchemaDetailView.as_view(), name="api-schema-detail"),
    path("schemas/<slug:name>/versions/", schemas.SchemaVersionCreateView.as_view(),
         name="api-schema-versions"),
    path("schemas/<slug:name>/versions/<str:version>/", schemas.SchemaVersionView.as_view(),
         name="api-schema-version"),
    # The schema and its docs pages are public: they describe the API, they hold no data.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path("docs/", docs_page(SpectacularSwaggerSplitView.as_view(**PUBLIC)), name="api-docs"),
    path("redoc/", docs_page(SpectacularRedocView.as_view(**PUBLIC)), name="api-redoc"),
    *router.urls,
]
