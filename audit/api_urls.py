from django.urls import path

from . import api

urlpatterns = [
    path("events/", api.EventsView.as_view(), name="api-audit-events"),
    path("export/", api.ExportView.as_view(), name="api-audit-export"),
    path("status/", api.StatusView.as_view(), name="api-audit-status"),
    path("public-key/", api.PublicKeyView.as_view(), name="api-audit-public-key"),
]
