"""Forms of the sign-in and token pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from audit.actions import record_event
from audit.pseudonyms import client_pseudonym, who_tried
from docintel.accounts import throttle
from docintel.accounts.models import TokenScope


def _wait_text(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{-(-seconds // 60)} minutes"


class ThrottledAuthenticationForm(AuthenticationForm):
    """The one sign-in form (the admin's sign-in page sends people here), throttled per (user name,
    client) and per client (``docintel.accounts.throttle``)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed sign-in attempts. Wait %(wait)s and try again.",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = throttle.client_address(self.request)
        wait = throttle.wait_seconds(username, address)
        if wait:
            record_event("auth.login_throttled", purpose="access control", details={
                **who_tried(username), "client": client_pseudonym(self.request), "wait_s": wait})
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled",
                                        params={"wait": _wait_text(wait)})
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
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.ALL, required=False,
                              label="Documents it may open")

    def clean_scope(self) -> str:
        return self.cleaned_data.get("scope") or TokenScope.ALL
