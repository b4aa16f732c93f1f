"""The embedded default's SQLite backend: write transactions of many threads queue for the write lock
and each one gets it as soon as the one before releases it (docintel/sqlite_backend)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from docintel.accounts.models import ApiToken

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend only")]


def test_concurrent_write_transactions_queue_without_errors_or_sleeps(users):
    """Eight threads each commit 25 short write transactions: none fails with "database is locked"
    and none waits SQLite's busy-handler sleeps (tens of milliseconds) behind another's sub-millisecond
    transaction."""
    errors: list[BaseException] = []
    waits: list[float] = []

    def writer(number: int) -> None:
        try:
            for i in range(25):
                started = time.perf_counter()
                with transaction.atomic():
                    waits.append(time.perf_counter() - started)
                    ApiToken.issue(users["clerk"], f"t{number}-{i}")
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert ApiToken.objects.filter(name__startswith="t").count() == 200
    waits.sort()
    assert waits[len(waits) // 2] < 0.05


def test_a_rolled_back_transaction_releases_the_lock(users):
    with pytest.raises(RuntimeError), transaction.atomic():
        ApiToken.issue(users["clerk"], "rolled back")
        raise RuntimeError("undo")
    done = threading.Event()

    def other() -> None:
        with transaction.atomic():
            ApiToken.issue(users["clerk"], "after")
        connections.close_all()
        done.set()

    threading.Thread(target=other).start()
    assert done.wait(10)
    names = ApiToken.objects.filter(name__in=["rolled back", "after"]).values_list("name", flat=True)
    assert list(names) == ["after"]
