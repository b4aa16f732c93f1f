"""Finding events: the one filter behind the API, the web page and the per-document trail, and the
log's status shown to compliance officers."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone

from . import sequencer, tree, verify
from .models import AuditEvent, WitnessCosignature


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


def tree_status() -> dict:
    """Where the log stands, for the compliance page and API: the tree's size and root, the newest
    signed head and whether it extends the tree the last ``audit_verify`` checked (an O(log n) proof,
    not a walk), integration lag, and what the witnesses said last."""
    size, root = tree.head()
    last_run = AuditEvent.objects.filter(action="audit.verified").order_by("-seq").first()
    verified_size, verified_root = 0, ""
    if last_run is not None and last_run.details_dict.get("ok"):
        verified_size = int(last_run.details_dict.get("tree_size") or 0)
        verified_root = str(last_run.details_dict.get("root_hash") or "")
    # From the last verified head, or from the empty tree when audit_verify has not run yet.
    quick = verify.quick_status(verified_size, verified_root) if verified_root or not verified_size else \
        {"ok": None, "latest": None, "message": "the last audit_verify run predates the tree"}
    lag = sequencer.lag()
    refusal = AuditEvent.objects.filter(action="audit.witness_refused").order_by("-seq").first()
    latest_cosigned = WitnessCosignature.objects.order_by("-tree_size", "-id").first()
    alerts = []
    if lag["alert"]:
        alerts.append(f"{lag['pending']} events wait to enter the tree; the oldest for "
                      f"{lag['oldest_pending_s']:.0f} s (is a sequencer running?)")
    if refusal is not None:  # an alert until a later head is cosigned
        refused = refusal.details_dict
        if latest_cosigned is None or latest_cosigned.tree_size < refused.get("tree_size", 0):
            alerts.append(f"witness {refused.get('witness')} refused the tree head at "
                          f"{refused.get('tree_size')}: {refused.get('reason', '')}")
    if quick.get("ok") is False:
        alerts.append(quick.get("message") or "the newest tree head does not verify")
    if last_run is not None and not last_run.details_dict.get("ok"):
        alerts.append(f"the last audit_verify failed: {last_run.details_dict.get('error', '')}")
    return {
        # True: the newest signed head verifies and extends what the last full check verified (or the
        # empty tree), and nothing is alarming; the page says whether a full check has run.
        "ok": quick.get("ok") is not False and not alerts,
        "tree_size": size, "root_hash": root, "verified_up_to": verified_size,
        "latest_tree_head": quick.get("latest"), "pending": lag["pending"],
        "oldest_pending_s": lag["oldest_pending_s"],
        "last_cosignature": latest_cosigned.as_dict() if latest_cosigned else None,
        "alerts": alerts, "message": "; ".join(alerts),
        "last_full_run": last_run.as_record() if last_run else None,
    }
