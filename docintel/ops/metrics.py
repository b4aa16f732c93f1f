"""Prometheus metrics (``GET /metrics``), through prometheus-client's collector interface.

Two sources, both shared by every node, so that any web node answers for the whole deployment:
- the database and the broker now: documents by status, stages waiting and for how long, queue depth;
- the audit log, folded into running totals (``MetricTotals``): stage durations, failures and retries
  by code, model latency and tokens. Counters only grow, so Prometheus's ``rate()`` works across nodes.
Labels carry stage names, codes, model names and host names: never document data.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from audit import sequencer, tree
from audit.models import AuditEvent, AuditLeaf
from docintel import broker
from docintel.documents.models import SETTLED_STATUSES, Document, StageStatus

from .models import MetricTotals

log = logging.getLogger(__name__)

STAGE_SECONDS_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
MODEL_SECONDS_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)
STAGE_OUTCOMES = {"stage.completed": "done", "stage.failed": "failed", "stage.skipped": "skipped"}
FOLDED_ACTIONS = (*STAGE_OUTCOMES, "stage.retry_scheduled", "model.inference")
# Events folded per scrape: a first scrape of a long log catches up over several scrapes.
FOLD_BATCH = 20_000


# --- Running totals from the audit log ------------------------------------------------------------
def _observe(histograms: dict, key: str, value: float, buckets: tuple) -> None:
    entry = histograms.setdefault(key, {"count": 0, "sum": 0.0, "buckets": [0] * len(buckets)})
    entry["count"] += 1
    entry["sum"] += value
    for i, bound in enumerate(buckets):
        if value <= bound:
            entry["buckets"][i] += 1


def _add(counters: dict, key: str, amount: float = 1) -> None:
    counters[key] = counters.get(key, 0) + amount


def _label_key(*values) -> str:
    return json.dumps([str(v) for v in values])


def fold_event(totals: dict, action: str, details: dict) -> None:
    """Add one audit event to the running totals."""
    stage = details.get("stage", "")
    if action in STAGE_OUTCOMES:
        seconds = details.get("seconds")
        if isinstance(seconds, int | float):
            _observe(totals.setdefault("stage_seconds", {}), _label_key(stage, STAGE_OUTCOMES[action]),
                     float(seconds), STAGE_SECONDS_BUCKETS)
        if action == "stage.failed":
            _add(totals.setdefault("stage_failures", {}), _label_key(stage, details.get("code", "")))
    elif action == "stage.retry_scheduled":
        _add(totals.setdefault("stage_retries", {}), _label_key(stage, details.get("code", "")))
    elif action == "model.inference":
        model = details.get("model", "")
        server = details.get("backend_url_name", "") or details.get("backend", "")
        latency = details.get("latency_ms")
        if isinstance(latency, int | float):
            _observe(totals.setdefault("model_seconds", {}), _label_key(model, server), latency / 1000,
                     MODEL_SECONDS_BUCKETS)
        tokens = totals.setdefault("model_tokens", {})
        for kind in ("prompt", "completion"):
            count = details.get(f"{kind}_tokens")
            if isinstance(count, int):
                _add(tokens, _label_key(model, kind), count)


def fold_new_events(batch: int = FOLD_BATCH) -> tuple[MetricTotals, int]:
    """Fold the audit events placed in the tree since the last scrape into the totals; return them and
    the tree's size (the number of events in it).

    Folded in tree order, not by seq: writers commit out of seq order, and the tree's order is gapless
    and final, so ``MetricTotals.audit_seq`` (the number of leaves folded) never skips an event. The
    scrape integrates first, so the counts are current."""
    sequencer.integrate()
    with transaction.atomic():
        row, _ = MetricTotals.objects.select_for_update().get_or_create(pk=1)
        head = tree.size()
        until = min(head, row.audit_seq + batch)
        if until > row.audit_seq:
            leaves = AuditLeaf.objects.filter(index__gte=row.audit_seq, index__lt=until).values("event_seq")
            events = (AuditEvent.objects.filter(action__in=FOLDED_ACTIONS, seq__in=leaves)
                      .order_by("seq").values_list("action", "details"))
            totals = row.totals
            for action, details in events.iterator(chunk_size=2000):
                try:
                    fold_event(totals, action, json.loads(details))
                except (ValueError, TypeError):
                    continue
            row.totals, row.audit_seq = totals, until
            row.save(update_fields=["totals", "audit_seq", "updated"])
        return row, head


# --- The collector ----------------------------------------------------------------------------------
def _histogram(name: str, documentation: str, labels: list[str], entries: dict, buckets: tuple):
    family = HistogramMetricFamily(name, documentation, labels=labels)
    for key, entry in sorted(entries.items()):
        cumulative = [(str(bound), count) for bound, count in zip(buckets, entry["buckets"], strict=True)]
        cumulative.append(("+Inf", entry["count"]))
        family.add_metric(json.loads(key), cumulative, entry["sum"])
    return family


def _counter(name: str, documentation: str, labels: list[str], entries: dict):
    family = CounterMetricFamily(name, documentation, labels=labels)
    for key, value in sorted(entries.items()):
        family.add_metric(json.loads(key), value)
    return family


def waiting_stages(now: datetime | None = None) -> dict[str, tuple[int, float]]:
    """For each stage: how many unsettled documents wait for it, and the longest wait in seconds."""
    now = now or timezone.now()
    waiting: dict[str, tuple[int, float]] = {}
    unsettled = Document.objects.exclude(status__in=SETTLED_STATUSES).filter(erased_at=None)
    for stages, created in unsettled.values_list("stages", "created").iterator(chunk_size=2000):
        for name, stage in (stages or {}).items():
            if stage.get("status") != StageStatus.QUEUED:
                continue
            since = parse_datetime(stage.get("queued_at") or "") or created
            count, oldest = waiting.get(name, (0, 0.0))
            waiting[name] = (count + 1, max(oldest, (now - since).total_seconds()))
    return waiting


class DocintelCollector:
    """Collects on each scrape; nothing is kept in the process between scrapes."""

    def collect(self):
        documents = GaugeMetricFamily("docintel_documents", "Documents by overall status (erased excluded)",
                                      labels=["status"])
        counts = dict(Document.objects.filter(erased_at=None).values("status").annotate(n=Count("pk"))
                      .values_list("status", "n"))
        for status in StageStatus.values:
            documents.add_metric([status], counts.get(status, 0))
        yield documents

        waiting = waiting_stages()
        stages_waiting = GaugeMetricFamily("docintel_stages_waiting",
                                           "Queued stages of unsettled documents", labels=["stage"])
        oldest = GaugeMetricFamily("docintel_stage_oldest_wait_seconds",
                                   "How long the longest-waiting queued stage has waited", labels=["stage"])
        for name, (count, seconds) in sorted(waiting.items()):
            stages_waiting.add_metric([name], count)
            oldest.add_metric([name], seconds)
        yield stages_waiting
        yield oldest

        yield from self._broker()

        row, head = fold_new_events()
        totals = row.totals
        yield _histogram("docintel_stage_duration_seconds", "Time a stage run took, by outcome",
                         ["stage", "outcome"], totals.get("stage_seconds", {}), STAGE_SECONDS_BUCKETS)
        yield _counter("docintel_stage_failures", "Stages failed, by error code", ["stage", "code"],
                       totals.get("stage_failures", {}))
        yield _counter("docintel_stage_retries", "Stage retries scheduled after a service error",
                       ["stage", "code"], totals.get("stage_retries", {}))
        yield _histogram("docintel_model_request_duration_seconds", "Latency of model calls",
                         ["model", "server"], totals.get("model_seconds", {}), MODEL_SECONDS_BUCKETS)
        yield _counter("docintel_model_tokens", "Tokens read and written by the models", ["model", "kind"],
                       totals.get("model_tokens", {}))
        events = CounterMetricFamily("docintel_audit_events", "Events in the audit log's Merkle tree")
        events.add_metric([], head)
        yield events
        lag = sequencer.lag()
        pending = GaugeMetricFamily("docintel_audit_pending_events", "Events committed, not yet in the tree")
        pending.add_metric([], lag["pending"])
        yield pending
        oldest = GaugeMetricFamily("docintel_audit_integration_lag_seconds",
                                   "Age of the oldest event not yet in the tree (0 when none)")
        oldest.add_metric([], lag["oldest_pending_s"])
        yield oldest

    def _broker(self):
        up = GaugeMetricFamily("docintel_broker_up", "1 when the task broker answered this scrape",
                               labels=["kind"])
        depth = GaugeMetricFamily("docintel_queue_depth", "Messages waiting in each broker queue",
                                  labels=["queue"])
        kind = broker.broker_kind()
        if kind == "in-process":
            up.add_metric([kind], 1)
        else:
            try:
                depths = broker.queue_depths()
            except Exception as error:  # the broker being down is what this metric reports
                log.warning("metrics: broker unreachable: %s", type(error).__name__)
                up.add_metric([kind], 0)
            else:
                up.add_metric([kind], 1)
                for queue, count in depths.items():
                    depth.add_metric([queue], count)
        yield up
        yield depth


def render() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DocintelCollector())
    return generate_latest(registry)


def metrics_allowed(remote_addr: str, authorization: str) -> bool:
    """``/metrics`` is for the monitoring system only: a listed address, or the configured token."""
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS)
