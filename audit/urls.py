from django.urls import path

from . import views

urlpatterns = [
    path("", views.events, name="audit-events"),
    path("documents/<uuid:pk>/", views.document_trail, name="audit-document"),
    path("export/", views.download_export, name="audit-export"),
    path("public-key.pem", views.public_key, name="audit-public-key"),
]
