"""Settings of the operators' surfaces: readiness, metrics, logs, the read replica (docintel/ops)."""

from .env import env_int, env_list, env_str

# --- Readiness (/readyz) -------------------------------------------------------------------------------
# Each dependency check gives up after this long: a load balancer's probe must answer quickly.
READINESS_TIMEOUT_S = env_int("DOCINTEL_READINESS_TIMEOUT_S", 2, minimum=1)
# Below this much free space in the data dir, /readyz fails and uploads are refused with 507.
MIN_FREE_DISK_MB = env_int("DOCINTEL_MIN_FREE_DISK_MB", 1024, minimum=0)

# --- Metrics (/metrics) --------------------------------------------------------------------------------
# Who may scrape: these networks (CIDR), or anyone sending "Authorization: Bearer <token>".
METRICS_ALLOWED_IPS = env_list("DOCINTEL_METRICS_ALLOWED_IPS", ["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env_str("DOCINTEL_METRICS_TOKEN")

# --- Read replica ------------------------------------------------------------------------------------
# URL names of the views whose reads may go to DOCINTEL_DATABASE_REPLICA_URL (docintel/replica.py).
REPLICA_VIEWS = env_list("DOCINTEL_REPLICA_VIEWS", [
    "documents", "api-document-list", "audit-events", "audit-document", "api-audit-events",
])
