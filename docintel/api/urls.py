from django.urls import include, path

urlpatterns = [
    path("audit/", include("audit.api_urls")),
]
