"""Finding events: the one filter behind the API, the web page and the per-document trail, and the
chain status shown to compliance officers."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone

from . import chain
from .models import AuditCheckpoint, AuditEvent


class UTCDateTimeField(forms.DateTimeField):
    """A moment, compared in UTC: the database refuses some offsets that ISO 8601 allows (+16:54)."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None or timezone.is_naive(moment):
            return moment
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError("That moment is out of range.", code="invalid") from None


class EventFilterForm(forms.Form):
    since = UTCDateTimeField(required=False, label="From", help_text="UTC; ISO 8601 in the API",
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}))
    until = UTCDateTimeField(required=False, label="Before",
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}))
    actor = forms.CharField(required=False, max_length=150, label="Actor",
                            help_text="user name or id")
    action = forms.CharField(required=False, max_length=64, label="Action",
                             help_text="e.g. document.viewed, or auth. for every auth.* action")
    document = forms.UUIDField(required=False, label="Document id")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():  # screen readers read the hint with the field
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-help"

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("since") and cleaned.get("until") and cleaned["since"] >= cleaned["until"]:
            raise forms.ValidationError("“From” must be before “Before”.")
        return cleaned

    def events(self):
        """Matching events, newest first. Call after ``is_valid()``."""
        data = self.cleaned_data
        events = AuditEvent.objects.order_by("-seq")
        if data.get("since"):
            events = events.filter(time__gte=data["since"])
        if data.get("until"):
            events = events.filter(time__lt=data["until"])
        if data.get("actor"):
            actor = data["actor"].strip()
            match = Q(actor_username=actor)
            if actor.isdigit():
                match |= Q(actor_id=int(actor))
            events = events.filter(match)
        if data.get("action"):
            action = data["action"].strip()
            events = events.filter(action__startswith=action) if action.endswith(".") else \
                events.filter(action=action)
        if data.get("document"):
            events = events.filter(document_id=data["document"])
        return events

    def applied(self) -> dict:
        """The filters in use, for the ``audit.read`` event (ids and names only)."""
        cleaned = getattr(self, "cleaned_data", {})
        return {name: str(value) for name, value in cleaned.items() if value not in (None, "")}


# Past this many events not yet checked, the status page leaves the walk to ``audit_verify``.
STATUS_MAX_WALK = 50_000


def chain_status() -> dict:
    """Where the chain stands: verified up to which event, the last signed checkpoint, the head.

    Starts from the last successful ``audit_verify`` run (recorded as ``audit.verified``) and checks
    the events appended since, so that the page stays quick on a large log.
    """
    head_seq, head_hash = chain.head()
    last_run = AuditEvent.objects.filter(action="audit.verified").order_by("-seq").first()
    after_seq, after_hash = 0, chain.GENESIS_HASH
    if last_run is not None and last_run.details_dict.get("ok"):
        after_seq = last_run.details_dict["verified_up_to"]
        after_hash = last_run.details_dict["head_hash"]
    status = {"head_seq": head_seq, "head_hash": head_hash,
              "last_full_run": last_run.as_record() if last_run else None}
    if head_seq - after_seq > STATUS_MAX_WALK:
        return {**status, "ok": None, "verified_up_to": after_seq,
                "message": f"{head_seq - after_seq} events not checked since the last audit_verify run"}
    result = chain.verify_chain(after_seq=after_seq, after_hash=after_hash)
    return {**status, "ok": result.ok, "verified_up_to": result.verified_up_to,
            "first_bad_seq": result.first_bad_seq, "message": result.error,
            "last_checkpoint": result.last_checkpoint or _last_checkpoint()}


def _last_checkpoint() -> dict | None:
    checkpoint = AuditCheckpoint.objects.order_by("-size", "-id").first()
    return checkpoint.as_dict() if checkpoint else None
