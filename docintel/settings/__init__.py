"""docintel settings: every knob is an environment variable (contract §6), parsed once, here.

With nothing set, docintel runs on embedded defaults: SQLite and an in-process task runner under
``DOCINTEL_DATA_DIR`` and the embedded CPU language model. Set ``DATABASE_URL`` and a broker
(``DOCINTEL_BROKER_URL``, or ``REDIS_URL``) for PostgreSQL and separate Celery workers,
``DOCINTEL_LLM_URL`` for a vLLM server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from kombu import Queue

from .env import env_bool, env_choice, env_int, env_list, env_path, env_str
from .security import refuse_weak_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# --- Where data lives --------------------------------------------------------------------------------
# Reading settings creates nothing: ``manage.py init_data_dir`` (run by bin/setup) makes the data dir
# and the embedded default's secret key, and a system check says so when they are missing.
DATA_DIR = env_path("DOCINTEL_DATA_DIR", Path("var"), base=BASE_DIR)
DOCUMENT_STORE_DIR = DATA_DIR / "originals"  # content-addressed originals: originals/ab/cdef…
KEYS_DIR = DATA_DIR / "keys"  # keys generated on first run of the embedded default
SECRET_KEY_FILE = KEYS_DIR / "django_secret_key"  # the embedded default's secret key, one per data dir


def _secret_key() -> str:
    configured = env_str("DOCINTEL_SECRET_KEY")
    if configured or not SECRET_KEY_FILE.is_file():
        return configured
    return SECRET_KEY_FILE.read_text().strip()


SECRET_KEY = _secret_key()
if env_str("DOCINTEL_SECRET_KEY"):
    refuse_weak_secret_key(SECRET_KEY)  # a deployment's own key: never a published or guessable one
DEBUG = env_bool("DOCINTEL_DEBUG", False)
ALLOWED_HOSTS = env_list("DOCINTEL_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DOCINTEL_CSRF_TRUSTED_ORIGINS", [])

# --- Database ----------------------------------------------------------------------------------------
# Connections persist across requests (no connect per request) for this many seconds and are
# health-checked before reuse, so that a database restart or failover costs a reconnect, not an error.
DB_CONN_MAX_AGE_S = env_int("DOCINTEL_DB_CONN_MAX_AGE_S", 600, minimum=0)
# A database host that does not answer is given up on after this long (libpq's default is to wait for
# the kernel's TCP timeout, minutes); keepalives notice a peer that vanished with its network.
DB_CONNECT_TIMEOUT_S = env_int("DOCINTEL_DB_CONNECT_TIMEOUT_S", 5, minimum=1)
# How long stage bookkeeping (start, heartbeat, finish) waits for a lost database to come back.
DB_RECONNECT_S = env_int("DOCINTEL_DB_RECONNECT_S", 120, minimum=1)


def _database(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=DB_CONN_MAX_AGE_S,
                                                        conn_health_checks=True))
    if "postgresql" in config["ENGINE"]:
        config.setdefault("OPTIONS", {}).update({
            "connect_timeout": DB_CONNECT_TIMEOUT_S, "keepalives": 1, "keepalives_idle": 10,
            "keepalives_interval": 5, "keepalives_count": 3,
        })
    return config


DATABASE_URL = env_str("DATABASE_URL")
# SQLite: "full" flushes every commit to disk before it returns (each audit event durable before the
# response); "normal" leaves the flush to WAL checkpoints: several times more writes per second, and a
# power loss (not a crash of docintel) may lose the last commits, changes and their events together.
SQLITE_SYNCHRONOUS = env_choice("DOCINTEL_SQLITE_SYNCHRONOUS", ("full", "normal"), "normal")
# The audit events of reads (every view and list is an event) commit in groups: the requests of one
# process that are waiting for their event at the same moment share one transaction, and each response
# still waits for its event's commit. "sqlite" (default): on SQLite, where every commit queues for the
# one write lock; "on": on PostgreSQL too; "off": one transaction per read.
READ_EVENTS_GROUP_COMMIT = env_choice("DOCINTEL_READ_EVENTS_GROUP_COMMIT", ("sqlite", "on", "off"), "sqlite")
if DATABASE_URL:
    DATABASES = {"default": _database(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "docintel.sqlite_backend",  # SQLite, write transactions queued (its docstring)
            "NAME": str(DATA_DIR / "docintel.sqlite3"),
            "CONN_MAX_AGE": DB_CONN_MAX_AGE_S,
            "CONN_HEALTH_CHECKS": True,
            # Worker threads and the web server share the file: wait for locks instead of failing.
            # WAL: readers never wait for the writer (every read writes its audit event), and a commit
            # is one append to the log instead of a rollback journal's several flushes.
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                        "init_command": f"PRAGMA journal_mode=WAL; "
                                        f"PRAGMA synchronous={SQLITE_SYNCHRONOUS};"},
        }
    }
# Optional read replica (PostgreSQL streaming replica) for document lists and audit pages:
# docintel/replica.py decides which reads may go there; everything else stays on the primary.
DATABASE_REPLICA_URL = env_str("DOCINTEL_DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {**_database(DATABASE_REPLICA_URL), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["docintel.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Pipeline stages ---------------------------------------------------------------------------------
# Stages run in this order; each entry is "name: dotted.path.to.StageClass". A site adds a stage here.
PIPELINE_STAGES = env_list(
    "DOCINTEL_PIPELINE_STAGES",
    [
        "parse: docintel.documents.pipeline.parse.ParseStage",
        "ocr: docintel.documents.pipeline.ocr.OcrStage",
        "classify: docintel.documents.pipeline.classify.ClassifyStage",
        "redact: docintel.redaction.stage.RedactStage",
        "extract: extraction.stage.ExtractStage",
    ],
)

# --- Tasks and the broker ----------------------------------------------------------------------------
# The broker: DOCINTEL_BROKER_URL (redis:// or amqp://), else REDIS_URL (Redis is then also the cache).
# With neither, tasks run in a thread of the process that queued them (same task code).
REDIS_URL = env_str("REDIS_URL")
BROKER_URL = env_str("DOCINTEL_BROKER_URL") or REDIS_URL
# No broker configured: tasks run in a thread of the process that queued them (same task code).
TASKS_IN_PROCESS = not BROKER_URL
# The in-process runner's thread (and the parse sandbox and model threads it starts) runs this many
# nice steps below request threads, so that stages do not starve the web server (0: same priority).
TASK_NICE = env_int("DOCINTEL_TASK_NICE", 10, minimum=0)
CELERY_BROKER_URL = BROKER_URL or "memory://"
BROKER_IS_AMQP = CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://"))
CELERY_TASK_ALWAYS_EAGER = TASKS_IN_PROCESS
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
# A worker (or beat) that loses its broker keeps trying to reconnect instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None

# One queue per stage, so that operators size workers per stage (`celery worker -Q parse,redact`);
# DOCINTEL_STAGE_QUEUES="classify=parse" puts a stage on another stage's queue. Sweeps go to
# "maintenance". Routing: docintel.broker.route_task.
STAGE_QUEUES: dict[str, str] = {
    stage.strip(): queue.strip()
    for stage, _, queue in (pair.partition("=") for pair in env_list("DOCINTEL_STAGE_QUEUES")) if queue
}
_stage_names = [entry.partition(":")[0].strip() for entry in PIPELINE_STAGES]
_queue_names = list(dict.fromkeys([*(STAGE_QUEUES.get(n, n) for n in _stage_names), "maintenance"]))
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
CELERY_TASK_ROUTES = ("docintel.broker.route_task",)
# An unacknowledged task (its worker died) is handed to another worker after this many seconds (Redis).
TASK_VISIBILITY_TIMEOUT_S = env_int("DOCINTEL_TASK_VISIBILITY_TIMEOUT_S", 3600, minimum=1)
if BROKER_IS_AMQP:
    # RabbitMQ: replicated quorum queues, and a publish counts only once the broker confirmed it. A task
    # whose worker's connection drops is redelivered at once: there is no visibility timeout.
    CELERY_TASK_QUEUES = [Queue(name, routing_key=name, queue_arguments={"x-queue-type": "quorum"})
                          for name in _queue_names]
    CELERY_TASK_DEFAULT_QUEUE_TYPE = "quorum"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"confirm_publish": True}
else:
    CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in _queue_names]
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": TASK_VISIBILITY_TIMEOUT_S,
        # How often workers look for abandoned messages: well within the timeout, at most every 10 s.
        "unacked_restore_interval": min(10, max(1, TASK_VISIBILITY_TIMEOUT_S // 2)),
        "unacked_restore_throttle": 1,
        "socket_keepalive": True,
        "socket_connect_timeout": 5,
    }
STAGE_HEARTBEAT_S = env_int("DOCINTEL_STAGE_HEARTBEAT_S", 10, minimum=1)
# A running stage whose heartbeat is older than this is re-queued by the periodic sweep.
STAGE_STALE_AFTER_S = env_int("DOCINTEL_STAGE_STALE_AFTER_S", 120, minimum=5)
# A queued stage due longer than this whose message the broker no longer holds (a broker that
# restarted empty, a publish that failed) is queued again by the same sweep.
STAGE_LOST_AFTER_S = env_int("DOCINTEL_STAGE_LOST_AFTER_S", 300, minimum=5)
ORPHAN_SWEEP_S = env_int("DOCINTEL_ORPHAN_SWEEP_S", 60, minimum=5)
CELERY_BEAT_SCHEDULE = {
    "requeue-orphaned-stages": {
        "task": "docintel.documents.tasks.requeue_orphaned_stages",
        "schedule": float(ORPHAN_SWEEP_S),
    },
}
STAGE_MAX_RETRIES = env_int("DOCINTEL_STAGE_MAX_RETRIES", 3, minimum=0)
STAGE_RETRY_BACKOFF_S = env_int("DOCINTEL_STAGE_RETRY_BACKOFF_S", 5, minimum=0)

# --- Input limits (attacker-controlled files) --------------------------------------------------------
MAX_UPLOAD_MB = env_int("DOCINTEL_MAX_UPLOAD_MB", 50, minimum=1)
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_PAGES = env_int("DOCINTEL_MAX_PAGES", 1000, minimum=1)
PARSE_TIMEOUT_S = env_int("DOCINTEL_PARSE_TIMEOUT_S", 15, minimum=1)
PARSE_MEMORY_MB = env_int("DOCINTEL_PARSE_MEMORY_MB", 1024, minimum=128)
MAX_TEXT_CHARS = env_int("DOCINTEL_MAX_TEXT_CHARS", 5_000_000, minimum=1000)
# Images (TIFF, PNG, JPEG) and Word files: a page with more pixels (A3 at 600 dpi is 70 million) or a
# DOCX that unpacks to more is refused before it is decoded.
MAX_IMAGE_PIXELS = env_int("DOCINTEL_MAX_IMAGE_PIXELS", 100_000_000, minimum=1_000_000)
DOCX_MAX_UNPACKED_MB = env_int("DOCINTEL_DOCX_MAX_UNPACKED_MB", 200, minimum=1)
# OCR of pages without a text layer (Tesseract): languages as Tesseract names them, joined by "+"
# (each one added slows recognition), pages read at once (one thread each), and the time a page may take.
OCR_LANGUAGES = env_str("DOCINTEL_OCR_LANGUAGES", "eng")
OCR_WORKERS = env_int("DOCINTEL_OCR_WORKERS", os.cpu_count() or 1, minimum=1)
OCR_PAGE_TIMEOUT_S = env_int("DOCINTEL_OCR_PAGE_TIMEOUT_S", 60, minimum=5)
PDF_ENGINE = env_choice("DOCINTEL_PDF_ENGINE", ("pypdf", "pdfium"), "pypdf")  # pdfium: faster, optional
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Django ------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "docintel.accounts",
    "docintel.documents",
    "docintel.redaction",
    "extraction",
    "audit",
    "docintel.web",
    "docintel.api",
    "docintel.ops",
    "csp",
]

MIDDLEWARE = [
    "docintel.http_security.TrustedProxyMiddleware",  # first: everything after sees the real client
    # /healthz, /readyz, /metrics: answered next, outside host checks, sessions and the user audit.
    "docintel.ops.middleware.OperationsEndpointsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "docintel.http_security.NoStoreMiddleware",  # after WhiteNoise: static files keep their caching
    "docintel.http_security.CSPMiddleware",  # django-csp's, the settings' policy built once
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditActorMiddleware",  # who changed a role in the admin, for the audit log
    "django.contrib.messages.middleware.MessageMiddleware",
    "docintel.ops.middleware.ReplicaReadsMiddleware",  # lists and audit pages may read the replica
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "docintel.urls"
WSGI_APPLICATION = "docintel.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "docintel.accounts.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_AGE_S = env_int("DOCINTEL_SESSION_AGE_S", 8 * 3600, minimum=60)
SESSION_COOKIE_AGE = SESSION_AGE_S
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_COOKIES = env_bool("DOCINTEL_SECURE_COOKIES", False)  # true behind TLS (deploy/nginx)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
# Over TLS the cookies are host-only and Secure by name too (a sibling host cannot set them).
SESSION_COOKIE_NAME = "__Host-docintel-session" if SECURE_COOKIES else "docintel-session"
CSRF_COOKIE_NAME = "__Host-docintel-csrf" if SECURE_COOKIES else "docintel-csrf"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# With Redis configured, caches (login throttling, rate limits) are shared by every web process.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
         "KEY_PREFIX": "docintel"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# REST_FRAMEWORK and SPECTACULAR_SETTINGS live in surfaces.py.

LOG_LEVEL = env_choice("DOCINTEL_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO")
# PHI never goes to logs: log ids and codes only. Verbose framework loggers stay at WARNING.
# DOCINTEL_LOG_FORMAT=json: one JSON object per line for a log shipper (docintel/ops/logformat.py).
LOG_FORMAT = env_choice("DOCINTEL_LOG_FORMAT", ("plain", "json"), "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
                   "json": {"()": "docintel.ops.logformat.DocintelJsonFormatter"}},
    # Request lines lose their query strings: a search names a patient (docs/SECURITY.md, finding 15).
    "filters": {"no_query_strings": {"()": "docintel.http_security.WithoutQueryStrings"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "filters": ["no_query_strings"],
                          "propagate": False},
        "presidio-analyzer": {"level": "ERROR"},
        "django.request": {"level": "ERROR"},
        # In-process tasks would print a line per stage into commands' output.
        "celery.app.trace": {"level": "WARNING" if TASKS_IN_PROCESS else "INFO"},
    },
}

# Each area keeps its settings in a module of its own.
from .audit import *  # noqa: E402,F403
from .extraction import *  # noqa: E402,F403
from .operations import *  # noqa: E402,F403
from .redaction import *  # noqa: E402,F403
from .security import *  # noqa: E402,F403
from .surfaces import *  # noqa: E402,F403

# Webhook retries are rows in the database; beat hands the due ones to workers (docintel/api/webhooks.py).
CELERY_BEAT_SCHEDULE["send-due-webhooks"] = {
    "task": "docintel.api.webhooks.send_due_webhooks",
    "schedule": float(WEBHOOK_SWEEP_S),  # noqa: F405
}
