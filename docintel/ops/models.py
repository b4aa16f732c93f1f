"""Running totals for Prometheus, folded from the audit log.

Stage durations, failures by code, model latency and tokens are all in the audit log already (each
stage's end and each inference is an event). Rather than counting them in every web and worker
process, which would need a metrics port per process and per host, one row keeps the totals of every
event up to ``audit_seq``; each scrape folds in the events written since. The totals are the same
whichever web node is scraped, and they survive restarts.
"""

from django.db import models


class MetricTotals(models.Model):
    """The one row (pk=1) of running totals; see ``docintel.ops.metrics``."""

    audit_seq = models.BigIntegerField(default=0, help_text="last audit event folded into the totals")
    totals = models.JSONField(default=dict)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "metric totals"

    def __str__(self) -> str:
        return f"metric totals up to audit event {self.audit_seq}"
