from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("docintel.accounts.urls")),
    path("upload/", views.upload, name="upload"),
    path("documents/", views.documents, name="documents"),
    path("documents/<uuid:pk>/", views.document, name="document"),
    path("documents/<uuid:pk>/retry/", views.retry, name="document-retry"),
    path("documents/<uuid:pk>/correct/", views.correct, name="document-correct"),
    path("documents/<uuid:pk>/download/<str:name>", views.download, name="document-download"),
]
