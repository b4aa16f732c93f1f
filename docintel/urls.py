from django.contrib import admin
from django.urls import include, path

from docintel.web.accounts import admin_login

urlpatterns = [
    path("admin/login/", admin_login, name="admin-login"),  # before the admin's own: one sign-in page
    path("admin/", admin.site.urls),
    path("api/v1/", include("docintel.api.urls")),
    path("", include("docintel.web.urls")),
]
