"""Signing in and out, passwords, and each person's API tokens (shown once, revocable).

There is one sign-in page, throttled (``forms.ThrottledAuthenticationForm``): the admin site's own
sign-in page sends people to it. Token and password changes are recorded by ``audit.receivers`` in the
transaction of the change.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from docintel.accounts import roles
from docintel.accounts.models import ApiToken
from docintel.documents.access import deny

from .forms import NewTokenForm, ThrottledAuthenticationForm
from .permissions import role_required


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = "/"

    def form_valid(self, form):
        with transaction.atomic():  # the new password and its audit event together
            return super().form_valid(form)


def admin_login(request):
    """The admin's sign-in page: the one (throttled) sign-in page for people not signed in; the admin
    for those who may use it; 403 with an ``access.denied`` event for anyone else signed in."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url)
    if admin.site.has_permission(request):
        return redirect(next_url)
    deny(request, (roles.Role.ADMIN,))


@role_required(*roles.MANAGE_OWN_TOKENS)
def tokens(request):
    new_key = None
    form = NewTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, new_key = ApiToken.issue(request.user, form.cleaned_data["name"], form.cleaned_data["scope"])
        form = NewTokenForm()
    return render(request, "accounts/tokens.html", {
        "form": form, "new_key": new_key, "tokens": request.user.api_tokens.all(),
    })


@require_POST
@role_required(*roles.MANAGE_OWN_TOKENS)
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    messages.success(request, f"Token {token.prefix}… revoked: programs using it can no longer connect.")
    return redirect("tokens")
