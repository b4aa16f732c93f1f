"""docintel settings: every knob is an environment variable (contract §6), parsed once, here.

With nothing set, docintel runs on embedded defaults: SQLite and an in-process task runner under
``DOCINTEL_DATA_DIR`` and the embedded CPU language model. Set ``DATABASE_URL`` and ``REDIS_URL``
for PostgreSQL and separate Celery workers, ``DOCINTEL_LLM_URL`` for a vLLM server.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from .env import env_bool, env_choice, env_int, env_list, env_path, env_str

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
DEBUG = env_bool("DOCINTEL_DEBUG", False)
ALLOWED_HOSTS = env_list("DOCINTEL_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DOCINTEL_CSRF_TRUSTED_ORIGINS", [])

# --- Database ----------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
# Connections persist across requests (no connect per request) and are checked before reuse.
DB_CONN_MAX_AGE_S = env_int("DOCINTEL_DB_CONN_MAX_AGE_S", 600, minimum=0)
# SQLite: "full" flushes every commit to disk before it returns (each audit event durable before the
# response); "normal" leaves the flush to WAL checkpoints: several times more writes per second, and a
# power loss (not a crash of docintel) may lose the last commits, changes and their events together.
SQLITE_SYNCHRONOUS = env_choice("DOCINTEL_SQLITE_SYNCHRONOUS", ("full", "normal"), "normal")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE_S,
                                                  conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "docintel.sqlite3"),
            "CONN_MAX_AGE": DB_CONN_MAX_AGE_S,
            "CONN_HEALTH_CHECKS": True,
            # Worker threads and the web server share the file: wait for locks instead of failing.
            # WAL: readers never wait for the writer (every read writes its audit event), and a commit
            # is one append to the log instead of a rollback journal's several flushes.
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                        "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS};"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Tasks -------------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# No broker configured: tasks run in a thread of the process that queued them (same task code).
TASKS_IN_PROCESS = not REDIS_URL
# The in-process runner's thread (and the parse sandbox and model threads it starts) runs this many
# nice steps below request threads, so that stages do not starve the web server (0: same priority).
TASK_NICE = env_int("DOCINTEL_TASK_NICE", 10, minimum=0)
CELERY_BROKER_URL = REDIS_URL or "memory://"
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
# An unacknowledged task (its worker died) is handed to another worker after this many seconds.
TASK_VISIBILITY_TIMEOUT_S = env_int("DOCINTEL_TASK_VISIBILITY_TIMEOUT_S", 3600, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": TASK_VISIBILITY_TIMEOUT_S,
    # How often workers look for abandoned messages: well within the timeout, at most every 10 s.
    "unacked_restore_interval": min(10, max(1, TASK_VISIBILITY_TIMEOUT_S // 2)),
    "unacked_restore_throttle": 1,
}
STAGE_HEARTBEAT_S = env_int("DOCINTEL_STAGE_HEARTBEAT_S", 10, minimum=1)
# A running stage whose heartbeat is older than this is re-queued by the periodic sweep.
STAGE_STALE_AFTER_S = env_int("DOCINTEL_STAGE_STALE_AFTER_S", 120, minimum=5)
ORPHAN_SWEEP_S = env_int("DOCINTEL_ORPHAN_SWEEP_S", 60, minimum=5)
CELERY_BEAT_SCHEDULE = {
    "requeue-orphaned-stages": {
        "task": "docintel.documents.tasks.requeue_orphaned_stages",
        "schedule": float(ORPHAN_SWEEP_S),
    },
}
STAGE_MAX_RETRIES = env_int("DOCINTEL_STAGE_MAX_RETRIES", 3, minimum=0)
STAGE_RETRY_BACKOFF_S = env_int("DOCINTEL_STAGE_RETRY_BACKOFF_S", 5, minimum=0)

# Stages run in this order; each entry is "name: dotted.path.to.StageClass". A site adds a stage here.
PIPELINE_STAGES = env_list(
    "DOCINTEL_PIPELINE_STAGES",
    [
        "parse: docintel.documents.pipeline.parse.ParseStage",
        "classify: docintel.documents.pipeline.classify.ClassifyStage",
        "redact: docintel.redaction.stage.RedactStage",
        "extract: extraction.stage.ExtractStage",
    ],
)

# --- Input limits (attacker-controlled files) --------------------------------------------------------
MAX_UPLOAD_MB = env_int("DOCINTEL_MAX_UPLOAD_MB", 50, minimum=1)
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_PAGES = env_int("DOCINTEL_MAX_PAGES", 1000, minimum=1)
PARSE_TIMEOUT_S = env_int("DOCINTEL_PARSE_TIMEOUT_S", 15, minimum=1)
PARSE_MEMORY_MB = env_int("DOCINTEL_PARSE_MEMORY_MB", 1024, minimum=128)
MAX_TEXT_CHARS = env_int("DOCINTEL_MAX_TEXT_CHARS", 5_000_000, minimum=1000)
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditActorMiddleware",  # who changed a role in the admin, for the audit log
    "django.contrib.messages.middleware.MessageMiddleware",
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
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

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
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "presidio-analyzer": {"level": "ERROR"},
        "django.request": {"level": "ERROR"},
        # In-process tasks would print a line per stage into commands' output.
        "celery.app.trace": {"level": "WARNING" if TASKS_IN_PROCESS else "INFO"},
    },
}

# Each area keeps its settings in a module of its own.
from .audit import *  # noqa: E402,F403
from .extraction import *  # noqa: E402,F403
from .redaction import *  # noqa: E402,F403
from .surfaces import *  # noqa: E402,F403

# Webhook retries are rows in the database; beat hands the due ones to workers (docintel/api/webhooks.py).
CELERY_BEAT_SCHEDULE["send-due-webhooks"] = {
    "task": "docintel.api.webhooks.send_due_webhooks",
    "schedule": float(WEBHOOK_SWEEP_S),  # noqa: F405
}
