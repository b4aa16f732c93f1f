"""Settings of the redaction stage."""

from .env import env_bool, env_float, env_int, env_list, env_str  # noqa: F401

# --- Redaction ---------------------------------------------------------------------------------------
REDACTION_SCORE_THRESHOLD = env_float("DOCINTEL_REDACTION_THRESHOLD", 0.35)
REDACTION_ALLOW_LIST = env_list("DOCINTEL_REDACTION_ALLOW", [])
REDACTION_DENY_LIST = env_list("DOCINTEL_REDACTION_DENY", [])

