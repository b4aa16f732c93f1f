"""Fixtures of the failure drills: a private PostgreSQL cluster with a migrated template database, private
Redis instances, and the environment that workers, beat and commands of a drill share."""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.conftest import TEST_OUTPUT
from tests.ops.services import PG_BIN, PrivatePostgres, PrivateRedis, manage

TEMPLATE = "docintel_template"
PARSE = "parse: docintel.documents.pipeline.parse.ParseStage"
CLASSIFY = "classify: docintel.documents.pipeline.classify.ClassifyStage"
SLOW = "slow: tests.documents.stages.SlowStage"
_numbers = itertools.count(1)
DRILL_SECRET = secrets.token_urlsafe(50)


def require_drills() -> None:
    """Drills need root (private PostgreSQL runs as its own account; namespaces, mounts) and the
    PostgreSQL server binaries; CI has both and must never skip them."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if not (PG_BIN / "initdb").exists():
        missing.append(f"PostgreSQL server binaries in {PG_BIN}")
    if not missing:
        return
    message = f"failure drills need {', '.join(missing)}"
    if os.environ.get("DOCINTEL_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def base_environment(**extra: str) -> dict[str, str]:
    """A clean environment for drill processes: the test run's DOCINTEL_* and service URLs are dropped."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DOCINTEL_", "DJANGO_")) and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "docintel.settings", "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
                # Each drill has a data dir of its own; they share one secret (nothing to protect here).
                "DOCINTEL_SECRET_KEY": DRILL_SECRET})
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def private_postgres():
    """One private cluster for the session, listening on every address (the namespace drills reach it
    over a bridge), with a migrated template database that each drill copies."""
    require_drills()
    base = Path(tempfile.mkdtemp(prefix="docintel-drill-pg-"))
    os.chmod(base, 0o755)  # noqa: S103 - PostgreSQL runs as its own account below it
    pg = PrivatePostgres(base, listen="*").start()
    url = pg.create_database(TEMPLATE)
    env = base_environment(DATABASE_URL=url, DOCINTEL_DATA_DIR=str(base / "template-data"))
    for step in (("init_data_dir",), ("migrate", "--noinput")):  # as bin/setup does
        result = manage(env, *step)
        assert result.returncode == 0, result.stderr[-3000:]
    with psycopg.connect(pg.url("postgres"), autocommit=True) as connection:
        # Nobody may stay connected to a template that is being copied.
        connection.execute(f"ALTER DATABASE {TEMPLATE} WITH ALLOW_CONNECTIONS false")
    yield pg
    pg.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def drill_database(private_postgres) -> str:
    """A fresh, migrated database of the private cluster for one drill."""
    return private_postgres.create_database(f"drill_{os.getpid()}_{next(_numbers)}", template=TEMPLATE)


@pytest.fixture
def drill_dir():
    base = Path(tempfile.mkdtemp(prefix="docintel-drill-"))
    # Owner-only, as init_data_dir makes it: every command refuses a data dir that others can read
    # (system check docintel.E003). The drills' secret key comes from their environment.
    (base / "data").mkdir(mode=0o700)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def private_redis(drill_dir):
    redis = PrivateRedis(drill_dir / "redis").start()
    yield redis
    redis.kill()


@pytest.fixture
def drill_logs() -> Path:
    path = TEST_OUTPUT / "drills"
    path.mkdir(parents=True, exist_ok=True)
    return path


def drill_environment(database: str, broker: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """What workers, beat and commands of a drill share: short heartbeats and sweeps, so that a drill
    takes seconds; production keeps the defaults."""
    return base_environment(**{
        "DATABASE_URL": database, "DOCINTEL_BROKER_URL": broker, "DOCINTEL_DATA_DIR": str(data_dir),
        "DOCINTEL_PIPELINE_STAGES": ",".join([PARSE, SLOW, CLASSIFY]),
        "DOCINTEL_STAGE_HEARTBEAT_S": "1", "DOCINTEL_STAGE_STALE_AFTER_S": "6",
        "DOCINTEL_ORPHAN_SWEEP_S": "5", "DOCINTEL_STAGE_LOST_AFTER_S": "6",
        "DOCINTEL_TEST_SLOW_STAGE_S": "2", "DOCINTEL_STAGE_RETRY_BACKOFF_S": "1",
        **extra,
    })
