"""Signing in and out, and each person's API tokens (shown once, revocable)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from audit.actions import record_event
from docintel.accounts import roles
from docintel.accounts.models import ApiToken

from .forms import NewTokenForm, ThrottledAuthenticationForm
from .permissions import role_required


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


@role_required(*roles.MANAGE_OWN_TOKENS)
def tokens(request):
    new_key = None
    form = NewTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, new_key = ApiToken.issue(request.user, form.cleaned_data["name"])
        record_event("auth.token_issued", actor=request.user, purpose="access management",
                     details={"token": token.pk, "prefix": token.prefix})
        form = NewTokenForm()
    return render(request, "accounts/tokens.html", {
        "form": form, "new_key": new_key, "tokens": request.user.api_tokens.all(),
    })


@require_POST
@role_required(*roles.MANAGE_OWN_TOKENS)
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    record_event("auth.token_revoked", actor=request.user, purpose="access management",
                 details={"token": token.pk, "prefix": token.prefix})
    messages.success(request, f"Token {token.prefix}… revoked: programs using it can no longer connect.")
    return redirect("tokens")
