"""Settings of the user surfaces: web UI, REST API, accounts."""

from .env import env_int, env_list, env_str

# Sign-in throttling and trusted proxies live in security.py.

# --- REST API ----------------------------------------------------------------------------------------
API_PAGE_SIZE = env_int("DOCINTEL_API_PAGE_SIZE", 25, minimum=1)
API_MAX_PAGE_SIZE = 100
# Lists count their rows exactly up to this many; past it the count is an estimate ("count_exact": false)
# so that a page costs the same at a million documents as at ten thousand.
API_EXACT_COUNT_LIMIT = env_int("DOCINTEL_API_EXACT_COUNT_LIMIT", 10_000, minimum=1)
# Seconds a process keeps a token's user and roles without asking the database; a revoked token, a
# deactivated user or a changed role takes effect within this time everywhere (0: ask every time).
API_TOKEN_CACHE_S = env_int("DOCINTEL_API_TOKEN_CACHE_S", 5, minimum=0)
# Per token (or per signed-in user): requests of any kind, and uploads on their own.
API_RATE = env_str("DOCINTEL_API_RATE", "1200/min")
API_UPLOAD_RATE = env_str("DOCINTEL_API_UPLOAD_RATE", "300/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "docintel.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # the web UI's uploads and polling
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "docintel.api.pagination.Pagination",
    "EXCEPTION_HANDLER": "docintel.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["docintel.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": API_RATE,
        "uploads": API_UPLOAD_RATE,
    },
    "DEFAULT_RENDERER_CLASSES": ["docintel.api.renderers.FastJSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "docintel.api.renderers.ContentNegotiation",
    # JSON bodies; uploads alone take multipart/form-data (their view says so): one way in per endpoint.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "docintel API",
    "DESCRIPTION": (
        "On-premise document intelligence: upload, redaction, grounded extraction, audit. "
        "Authenticate with `Authorization: Token <key>` (`manage.py issue_token`). "
        'Errors are `{"error": {"code", "message"}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page is served from our own static files: the deployment has no internet.
    # One name per set of choices, stable for generated clients.
    "ENUM_NAME_OVERRIDES": {
        "DocumentStatusEnum": "docintel.documents.models.StageStatus",
        "CorrectionStatusEnum": "extraction.models.CorrectionStatus",
        "WebhookStateEnum": "docintel.api.models.WebhookState",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Completion webhooks -----------------------------------------------------------------------------
# A short timeout: a slow receiver is tried again later, it never holds a sender (docs/API.md).
WEBHOOK_TIMEOUT_S = env_int("DOCINTEL_WEBHOOK_TIMEOUT_S", 5, minimum=1)
# Receivers check X-Docintel-Webhook-Signature (HMAC-SHA256 of timestamp and body) with this secret.
WEBHOOK_SECRET = env_str("DOCINTEL_WEBHOOK_SECRET")
# Retries: attempt n+1 waits RETRY_BASE_S * 2**(n-1) seconds (at most an hour); 10 attempts ~ 3 hours.
WEBHOOK_MAX_ATTEMPTS = env_int("DOCINTEL_WEBHOOK_MAX_ATTEMPTS", 10, minimum=1)
WEBHOOK_RETRY_BASE_S = env_int("DOCINTEL_WEBHOOK_RETRY_BASE_S", 30, minimum=1)
WEBHOOK_SWEEP_S = env_int("DOCINTEL_WEBHOOK_SWEEP_S", 15, minimum=1)
# Where webhooks may go besides public addresses (docintel/api/webhook_targets.py): hosts, .domains,
# addresses or CIDR networks, each with an optional :port or :*. Set, it is the only list allowed.
WEBHOOK_ALLOWED_HOSTS = env_list("DOCINTEL_WEBHOOK_ALLOWED_HOSTS", [])
# A CA bundle for receivers whose certificates an internal CA signed (default: the public roots).
WEBHOOK_CA_BUNDLE = env_str("DOCINTEL_WEBHOOK_CA_BUNDLE")

# --- Static files ------------------------------------------------------------------------------------
# Serve the UI's and API docs' assets straight from the apps (no collectstatic step, no CDN).
WHITENOISE_USE_FINDERS = True
