"""Settings of the audit log (audit/README.md)."""

from .env import env_int, env_str

# --- Audit -------------------------------------------------------------------------------------------
# Wraps each document's data key (AES-256-GCM). Base64 of 32 random bytes, e.g. from
# `python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"`. Unset: generated once
# under KEYS_DIR (embedded default). Losing it makes every encrypted audit payload unreadable.
AUDIT_MASTER_KEY = env_str("DOCINTEL_AUDIT_MASTER_KEY")
# Ed25519 private key (PEM, unencrypted) that signs checkpoints. Unset: generated once under KEYS_DIR.
# Keep it as long as the log: checkpoints and exports are checked against its public key.
AUDIT_SIGNING_KEY_FILE = env_str("DOCINTEL_AUDIT_SIGNING_KEY_FILE")
# A signed checkpoint of the head every this many events (and at every export).
AUDIT_CHECKPOINT_EVERY = env_int("DOCINTEL_AUDIT_CHECKPOINT_EVERY", 1000, minimum=1)
# Policy, documented and shown; nothing in docintel ever deletes audit events. HIPAA asks for six years
# (45 CFR 164.316(b)(2)(i)), hence the minimum.
AUDIT_RETENTION_YEARS = env_int("DOCINTEL_AUDIT_RETENTION_YEARS", 6, minimum=6)
