"""Settings of the audit log (audit/README.md)."""

from .env import env_bool, env_float, env_int, env_list, env_str

# --- Audit -------------------------------------------------------------------------------------------
# Wraps each document's data key (AES-256-GCM). Base64 of 32 random bytes, e.g. from
# `python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"`. Unset: generated once
# under KEYS_DIR (embedded default). Losing it makes every encrypted audit payload unreadable.
AUDIT_MASTER_KEY = env_str("DOCINTEL_AUDIT_MASTER_KEY")
# Ed25519 private key (PEM, unencrypted) that signs tree heads. Unset: generated once under KEYS_DIR
# (``manage.py audit_rotate_key`` replaces it). Old public keys stay in the database and in exports.
AUDIT_SIGNING_KEY_FILE = env_str("DOCINTEL_AUDIT_SIGNING_KEY_FILE")
# A signed tree head every this many new leaves, or after this many seconds of activity, whichever
# comes first (and at every export, key rotation and proof that needs one).
# (DOCINTEL_AUDIT_CHECKPOINT_EVERY, its name before the tree, still counts.)
AUDIT_STH_EVERY = env_int("DOCINTEL_AUDIT_STH_EVERY",
                          env_int("DOCINTEL_AUDIT_CHECKPOINT_EVERY", 1000, minimum=1), minimum=1)
AUDIT_STH_INTERVAL_S = env_float("DOCINTEL_AUDIT_STH_INTERVAL_S", 10.0)
# The sequencer: how often each server process tries to integrate committed events into the tree (one
# process at a time does; the others find the lock taken; 0: not from server and worker processes, a
# deployment then runs manage.py audit_sequencer), and how many events per transaction.
AUDIT_INTEGRATE_EVERY_S = env_float("DOCINTEL_AUDIT_INTEGRATE_EVERY_S", 0.5)
AUDIT_INTEGRATE_BATCH = env_int("DOCINTEL_AUDIT_INTEGRATE_BATCH", 5000, minimum=1)
# Integration lag past which the compliance page raises an alert.
AUDIT_LAG_ALERT_S = env_float("DOCINTEL_AUDIT_LAG_ALERT_S", 60.0)
# Witnesses: where every signed tree head is also published, outside the database. A directory of its
# own for the append-only file (default DATA_DIR/audit-witness; in production another mount, another
# owner or WORM storage; "off" turns it off),
# syslog, and HTTP witnesses (``python -m audit.witness``) that cosign heads they found consistent.
AUDIT_WITNESS_DIR = env_str("DOCINTEL_AUDIT_WITNESS_DIR")
AUDIT_WITNESS_SYSLOG = env_bool("DOCINTEL_AUDIT_WITNESS_SYSLOG", False)
AUDIT_WITNESS_SYSLOG_ADDRESS = env_str("DOCINTEL_AUDIT_WITNESS_SYSLOG_ADDRESS", "/dev/log")
AUDIT_WITNESS_URLS = env_list("DOCINTEL_AUDIT_WITNESS_URLS")
AUDIT_WITNESS_TIMEOUT_S = env_float("DOCINTEL_AUDIT_WITNESS_TIMEOUT_S", 5.0)
# Policy, documented and shown; nothing in docintel ever deletes audit events. HIPAA asks for six years
# (45 CFR 164.316(b)(2)(i)), hence the minimum.
AUDIT_RETENTION_YEARS = env_int("DOCINTEL_AUDIT_RETENTION_YEARS", 6, minimum=6)
