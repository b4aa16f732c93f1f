"""Search and filters of document lists, shared by the web list and ``GET /api/v1/documents/``."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from docintel.documents.models import DocumentKind, StageStatus


class DocumentFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="File name contains")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *StageStatus.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *DocumentKind.choices])
    created_from = forms.DateField(required=False, label="Uploaded from",
                                   widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(required=False, label="Uploaded until",
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def filter(self, queryset):
        """Apply the valid filters; the form's errors say which were ignored."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("q"):
            queryset = queryset.filter(filename__icontains=data["q"])
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("created_from"):
            queryset = queryset.filter(created__gte=_day_start(data["created_from"]))
        if data.get("created_to"):
            queryset = queryset.filter(created__lt=_day_start(data["created_to"]) + timedelta(days=1))
        return queryset


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
