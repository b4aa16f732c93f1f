"""Settings of the audit log."""

from .env import env_bool, env_float, env_int, env_list, env_str  # noqa: F401

# --- Audit -------------------------------------------------------------------------------------------
AUDIT_MASTER_KEY = env_str("DOCINTEL_AUDIT_MASTER_KEY")  # base64 32 bytes; generated under KEYS_DIR if unset
AUDIT_SIGNING_KEY_FILE = env_str("DOCINTEL_AUDIT_SIGNING_KEY_FILE")  # Ed25519 PEM; generated if unset
AUDIT_CHECKPOINT_EVERY = env_int("DOCINTEL_AUDIT_CHECKPOINT_EVERY", 1000, minimum=1)
# Documentation of policy only: nothing in docintel ever deletes audit events (HIPAA asks for six years).
AUDIT_RETENTION_YEARS = env_int("DOCINTEL_AUDIT_RETENTION_YEARS", 6, minimum=6)

