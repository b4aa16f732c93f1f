"""What the task broker holds: one queue per pipeline stage, how deep each is, and which tasks are in it.

Two brokers are supported (README, "Choosing a broker"): Redis and RabbitMQ (``amqp://``). Both are
read through kombu, Celery's own transport layer, so the same calls serve metrics, readiness and the
sweep that re-queues stages whose message the broker lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable

from django.conf import settings

log = logging.getLogger(__name__)

# The queue Celery beat's periodic sweeps go to (every worker consumes it unless told otherwise).
MAINTENANCE_QUEUE = "maintenance"


def broker_kind(url: str | None = None) -> str:
    """``redis``, ``amqp`` or ``in-process`` (no broker: the embedded default)."""
    url = settings.CELERY_BROKER_URL if url is None else url
    if settings.TASKS_IN_PROCESS or url.startswith("memory://"):
        return "in-process"
    if url.startswith(("amqp://", "amqps://", "pyamqp://")):
        return "amqp"
    return "redis"


def stage_queue(stage_name: str) -> str:
    """The queue a stage's tasks go to: its own name unless DOCINTEL_STAGE_QUEUES maps it elsewhere."""
    return settings.STAGE_QUEUES.get(stage_name, stage_name)


def declared_queues() -> list[str]:
    """Every queue workers consume: the stage queues in pipeline order, then maintenance."""
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router (CELERY_TASK_ROUTES): a stage task goes to its stage's queue; the rest (sweeps,
    webhooks) to maintenance."""
    if name == "docintel.documents.tasks.run_stage":
        stage = (args[1] if args and len(args) > 1 else (kwargs or {}).get("name"))
        if stage:
            return {"queue": stage_queue(stage)}
    return {"queue": MAINTENANCE_QUEUE}


def _connection():
    from docintel.celery import app

    return app.connection_for_read()


def check_connection(timeout: float = 2.0) -> None:
    """Raise when the broker cannot be reached within ``timeout`` seconds."""
    with _connection() as connection:
        connection.ensure_connection(max_retries=1, timeout=timeout)
        # A TCP connect alone does not prove the broker answers: declare-passive a queue that always
        # exists once workers have started (or get NotFound, which is an answer too).
        _depth(connection, MAINTENANCE_QUEUE)


def _depth(connection, queue: str) -> int:
    from kombu.exceptions import ChannelError

    channel = connection.channel()
    try:
        return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except ChannelError:  # never declared (no worker consumed it yet), or Redis's empty list
        return 0
    finally:
        with contextlib.suppress(Exception):  # a channel RabbitMQ closed on NotFound is closed already
            channel.close()


def queue_depths(queues: Iterable[str] | None = None) -> dict[str, int]:
    """Messages waiting in each queue (not those a worker holds). Raises when the broker is down."""
    names = list(queues if queues is not None else declared_queues())
    with _connection() as connection:
        connection.ensure_connection(max_retries=1, timeout=2.0)
        return {name: _depth(connection, name) for name in names}


def task_ids_in_broker(queues: Iterable[str]) -> set[str] | None:
    """Ids of the tasks the broker still holds for ``queues``: waiting, or delivered to a worker and
    not yet acknowledged (including retries waiting for their countdown). None where the broker cannot
    list its messages (RabbitMQ): the caller must then decide from queue depths alone.
    """
    if broker_kind() != "redis":
        return None
    with _connection() as connection:
        connection.ensure_connection(max_retries=1, timeout=2.0)
        client = connection.default_channel.client
        ids: set[str] = set()
        for queue in queues:
            # kombu keeps a Redis queue as a list (one per priority step; we send no priorities).
            for raw in client.lrange(queue, 0, -1):
                ids.add(_task_id(_loads(raw)))
        # Delivered but unacknowledged messages (running, reserved, or ETA retries) live in this hash,
        # each as [message, exchange, routing key].
        for raw in client.hvals(connection.default_channel.unacked_key):
            entry = _loads(raw)
            ids.add(_task_id(entry[0] if isinstance(entry, list) and entry else None))
        ids.discard("")
        return ids


def _loads(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _task_id(message) -> str:
    headers = message.get("headers") if isinstance(message, dict) else None
    return str(headers.get("id") or "") if isinstance(headers, dict) else ""
