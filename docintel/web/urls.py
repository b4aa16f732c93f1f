from django.contrib.auth import views as auth_views
from django.urls import path

from . import accounts, compliance, views

urlpatterns = [
    path("", views.home, name="home"),
    # Signing in and out, passwords, each person's API tokens.
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/tokens/", accounts.tokens, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", accounts.revoke_token, name="revoke-token"),
    # Our own template name: Django's admin app ships registration/password_change_form.html and, listed
    # first, would win (admin breadcrumbs and colours on a clerk's page; axe found its links unreadable).
    path("account/password/", accounts.PasswordChangeView.as_view(
        template_name="registration/change_password.html"), name="password_change"),
    # The compliance officer's console.
    path("audit/", compliance.events, name="audit-events"),
    path("audit/documents/<uuid:pk>/", compliance.document_trail, name="audit-document"),
    path("audit/export/", compliance.download_export, name="audit-export"),
    path("audit/public-key.pem", compliance.public_key, name="audit-public-key"),
    path("audit/events/<int:seq>/proof/", compliance.event_proof, name="audit-proof"),
    path("audit/tree-heads/", compliance.tree_heads, name="audit-tree-heads"),
    path("upload/", views.upload, name="upload"),
    path("documents/", views.documents, name="documents"),
    path("documents/<uuid:pk>/", views.document, name="document"),
    path("documents/<uuid:pk>/retry/", views.retry, name="document-retry"),
    path("documents/<uuid:pk>/correct/", views.correct, name="document-correct"),
    path("documents/<uuid:pk>/download/<str:name>", views.download, name="document-download"),
    path("documents/<uuid:pk>/pages/<int:number>.jpg", views.page_image, name="document-page-image"),
]
