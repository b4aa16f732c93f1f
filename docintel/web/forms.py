"""Forms of the sign-in and token pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from audit.actions import record_event
from docintel.accounts import throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    """The standard login form, refusing a username+address after too many failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed sign-in attempts. Wait %(minutes)s minutes and try again.",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = throttle.client_address(self.request)
        if throttle.is_locked(username, address):
            record_event("auth.login_throttled", purpose="access control",
                         details={"username": username[:150], "address": address})
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled",
                params={"minutes": max(1, settings.LOGIN_LOCKOUT_S // 60)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.note_failure(username, address)
            raise
        throttle.clear(username, address)
        return cleaned


class NewTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="What will use this token?",
                           help_text="For example: billing system, nightly import.")
