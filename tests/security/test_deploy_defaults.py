"""Finding 10: the shipped deployment cannot run on a public secret, the database is not open to anyone
who can reach it, and the application connects as the role that cannot rewrite the audit log.

The compose file cannot be started here (no container engine on the build machines); it is checked as
the data it is, and the refusal of known secrets is checked by starting docintel for real.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def env_file_value(name: str) -> str:
    text = (DEPLOY / "docintel.env.example").read_text()
    return re.search(rf"^{name}=(.*)$", text, re.MULTILINE).group(1)


def start(secret_key: str, *, debug: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCINTEL_")}
    env.update(DJANGO_SETTINGS_MODULE="docintel.settings", DOCINTEL_SECRET_KEY=secret_key,
               DOCINTEL_DATA_DIR=os.environ.get("DOCINTEL_DATA_DIR", "var"))
    if debug:
        env["DOCINTEL_DEBUG"] = "true"
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("secret_key", [
    env_file_value("DOCINTEL_SECRET_KEY"),
    "django-insecure-" + "x" * 60,
    "short-but-random-7f3a",
    "a" * 80,
])
def test_docintel_refuses_to_start_on_a_known_or_weak_secret(secret_key):
    done = start(secret_key)
    assert done.returncode != 0
    message = (done.stdout + done.stderr).strip().splitlines()[-1]
    assert "DOCINTEL_SECRET_KEY" in message and "Traceback" not in done.stderr


def test_docintel_starts_on_a_real_secret():
    import secrets

    done = start(secrets.token_urlsafe(50))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())


def services_using_docintel(compose) -> dict:
    return {name: service for name, service in compose["services"].items()
            if service.get("image", "").startswith("docintel")}


def test_compose_takes_no_secret_from_the_example(compose):
    text = (DEPLOY / "compose" / "compose.yaml").read_text()
    assert "docintel.env.example" not in text
    for name, service in services_using_docintel(compose).items():
        environment = service.get("environment", {})
        secret = environment.get("DOCINTEL_SECRET_KEY", "")
        assert re.fullmatch(r"\$\{DOCINTEL_SECRET_KEY:\?.+\}", secret), name


def test_compose_postgres_has_no_trust_auth_and_uses_the_two_roles(compose):
    postgres = compose["services"]["postgres"]
    settings = " ".join(f"{k}={v}" for k, v in postgres.get("environment", {}).items())
    assert "trust" not in settings and "scram-sha-256" in settings
    for name, service in services_using_docintel(compose).items():
        url = service["environment"]["DATABASE_URL"]
        expected = "docintel_owner" if name == "migrate" else "docintel_app"
        assert url.startswith(f"postgres://{expected}:${{"), (name, url)
    init = (DEPLOY / "compose" / "postgres-init.sh").read_text()
    assert "deploy/postgres/roles.sql" in init or "roles.sql" in init
    assert "grants.sql" in " ".join(compose["services"]["migrate"]["command"])


def test_nginx_sets_the_client_address_it_saw():
    conf = (DEPLOY / "nginx" / "docintel.conf").read_text()
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", conf)
    assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;|X-Forwarded-Proto\s+https;", conf)
    example = (DEPLOY / "docintel.env.example").read_text()
    assert re.search(r"^DOCINTEL_TRUSTED_PROXIES=127\.0\.0\.1", example, re.MULTILINE)


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.mark.services
def test_the_compose_database_gets_the_two_roles_and_asks_every_one_for_its_password():
    """deploy/compose/postgres-init.sh against a private PostgreSQL set up as the compose file does."""
    import shutil
    import socket
    import tempfile

    from tests.conftest import require_services

    require_services("DATABASE_URL")
    bindir = _postgres_bin()
    assert bindir is not None, "PostgreSQL's server binaries are missing"
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = Path(tempfile.mkdtemp(prefix="docintel-pg-"))
    if as_postgres:
        shutil.chown(home, user="postgres")
    (home / "superuser").write_text("superuser-secret\n")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])

    def run(*args, env=None, check=True):
        return subprocess.run([*as_postgres, *args], capture_output=True, text=True, timeout=120, check=check,
                              env={**os.environ, **(env or {})}, cwd=home)

    try:
        if as_postgres:
            shutil.chown(home / "superuser", user="postgres")
        run(str(bindir / "initdb"), "-D", str(home / "data"), "-U", "postgres",
            "--pwfile", str(home / "superuser"), "--auth-host=scram-sha-256", "--auth-local=scram-sha-256")
        run(str(bindir / "pg_ctl"), "-D", str(home / "data"), "-w", "-l", str(home / "log"), "-o",
            f"-p {port} -k {home} -c listen_addresses=127.0.0.1", "start")
        shutil.copy(DEPLOY / "postgres" / "roles.sql", home / "roles.sql")
        shutil.copy(DEPLOY / "compose" / "postgres-init.sh", home / "init.sh")
        if as_postgres:
            for name in ("roles.sql", "init.sh"):
                shutil.chown(home / name, user="postgres")
        server = {"PGHOST": "127.0.0.1", "PGPORT": port}
        run("bash", str(home / "init.sh"), env={**server, "POSTGRES_USER": "postgres",
                                                 "PGPASSWORD": "superuser-secret",
                                                 "DOCINTEL_ROLES_SQL": str(home / "roles.sql"),
                                                 "DOCINTEL_OWNER_DB_PASSWORD": "owner-pw-'quoted'",
                                                 "DOCINTEL_APP_DB_PASSWORD": "app-pw"})

        def connect(user: str, password: str | None):
            env = {**server, "PGCONNECT_TIMEOUT": "5"}
            env.pop("PGPASSWORD", None)
            if password is not None:
                env["PGPASSWORD"] = password
            return run("psql", "-w", "-U", user, "-d", "docintel", "-tAc", "SELECT current_user", env=env,
                       check=False)

        assert connect("docintel_app", "app-pw").stdout.strip() == "docintel_app"
        assert connect("docintel_owner", "owner-pw-'quoted'").stdout.strip() == "docintel_owner"
        assert connect("docintel_app", "wrong").returncode != 0
        assert connect("docintel_app", None).returncode != 0
        owner = run("psql", "-U", "postgres", "-d", "postgres", "-tAc",
                    "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'docintel'",
                    env={**server, "PGPASSWORD": "superuser-secret"})
        assert owner.stdout.strip() == "docintel_owner"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(home / "data"), "-m", "immediate", "stop", check=False)
        shutil.rmtree(home, ignore_errors=True)
