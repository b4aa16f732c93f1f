"""Settings of schema-guided extraction and its language models (contract §6)."""

from .env import env_bool, env_float, env_int, env_list, env_str  # noqa: F401

# --- Language models ---------------------------------------------------------------------------------
LLM_URL = env_str("DOCINTEL_LLM_URL")  # OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1
LLM_MODEL = env_str("DOCINTEL_LLM_MODEL")
LLM_API_KEY = env_str("DOCINTEL_LLM_API_KEY")
LLM_TIMEOUT_S = env_float("DOCINTEL_LLM_TIMEOUT_S", 120.0)
LLM_MAX_RETRIES = env_int("DOCINTEL_LLM_MAX_RETRIES", 2, minimum=0)
ESCALATION_URL = env_str("DOCINTEL_ESCALATION_URL")
ESCALATION_MODEL = env_str("DOCINTEL_ESCALATION_MODEL")
# Larger models see redacted text unless the deployment explicitly allows the original.
ESCALATION_SEES_ORIGINAL = env_bool("DOCINTEL_ESCALATION_SEES_ORIGINAL", False)
# The first-line model runs on the same premises, so by default it may read the original text.
SLM_SEES_ORIGINAL = env_bool("DOCINTEL_SLM_SEES_ORIGINAL", True)
EMBEDDED_LLM_THREADS = env_int("DOCINTEL_EMBEDDED_LLM_THREADS", 2, minimum=1)

