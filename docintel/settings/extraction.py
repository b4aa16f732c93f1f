"""Settings of schema-guided extraction and its language models (contract §6)."""

from .env import env_bool, env_float, env_int, env_str

# --- Language models ---------------------------------------------------------------------------------
# With no LLM_URL, the embedded SmolLM2 model (llama.cpp, in-process) is the first-line model.
# OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1, or several replicas of the same model,
# comma-separated: least outstanding requests, a failed replica skipped until its health check passes.
LLM_URL = env_str("DOCINTEL_LLM_URL")
# Requests one process keeps in flight to one replica (vLLM batches them; llama.cpp: --parallel N);
# past it, callers wait for a free slot (backpressure) up to LLM_TIMEOUT_S.
LLM_MAX_IN_FLIGHT = env_int("DOCINTEL_LLM_MAX_IN_FLIGHT", 4, minimum=1)
# A replica that failed is asked GET /models at most this often, and used again once it answers.
LLM_HEALTH_INTERVAL_S = env_float("DOCINTEL_LLM_HEALTH_INTERVAL_S", 5.0)
LLM_MODEL = env_str("DOCINTEL_LLM_MODEL")  # the server's served model name
LLM_API_KEY = env_str("DOCINTEL_LLM_API_KEY")
LLM_TIMEOUT_S = env_float("DOCINTEL_LLM_TIMEOUT_S", 120.0)
LLM_MAX_RETRIES = env_int("DOCINTEL_LLM_MAX_RETRIES", 2, minimum=0)
LLM_RETRY_BACKOFF_S = env_float("DOCINTEL_LLM_RETRY_BACKOFF_S", 1.0)
# Longest answer asked of a served model (an answer cut here is repaired at its last complete field).
LLM_MAX_TOKENS = env_int("DOCINTEL_LLM_MAX_TOKENS", 800, minimum=64)
# Document characters per prompt for a served model. Modest by default (a small model on a CPU server
# must answer in reasonable time); a GPU vLLM server with 16k context takes 24,000 (deploy/vllm).
LLM_CHUNK_CHARS = env_int("DOCINTEL_LLM_CHUNK_CHARS", 8000, minimum=1000)
ESCALATION_URL = env_str("DOCINTEL_ESCALATION_URL")
ESCALATION_MODEL = env_str("DOCINTEL_ESCALATION_MODEL")
ESCALATION_CHUNK_CHARS = env_int("DOCINTEL_ESCALATION_CHUNK_CHARS", 48000, minimum=1000)
# Larger models see redacted text unless the deployment explicitly allows the original.
ESCALATION_SEES_ORIGINAL = env_bool("DOCINTEL_ESCALATION_SEES_ORIGINAL", False)
# Escalate when the mean confidence of the facts found is below this (0..1).
ESCALATION_MIN_CONFIDENCE = env_float("DOCINTEL_ESCALATION_MIN_CONFIDENCE", 0.5)
# The first-line model runs on the same premises, so by default it may read the original text.
SLM_SEES_ORIGINAL = env_bool("DOCINTEL_SLM_SEES_ORIGINAL", True)
# On an idle 2-core machine, 2 threads answered a 989-token prompt in 4.3 s against 7.9 s for one.
# llama.cpp threads busy-wait for each other, so on a CPU crowded by other work (load average 8+)
# two threads measured 3-10x slower than one: set 1 where the model shares its cores.
EMBEDDED_LLM_THREADS = env_int("DOCINTEL_EMBEDDED_LLM_THREADS", 2, minimum=1)
# Another GGUF file than the packaged one; it must still match the sha256 pinned in the code.
EMBEDDED_LLM_PATH = env_str("DOCINTEL_EMBEDDED_LLM_PATH")

# --- Learning from reviewers' corrections (extraction/learning.py, deploy/finetune/) ----------------------
# Training exports show redacted text unless this allows the original (the file leaves access control).
TRAINING_SEES_ORIGINAL = env_bool("DOCINTEL_TRAINING_SEES_ORIGINAL", False)
# How many of a schema's newest corrected examples go before every prompt of that schema (0: none).
EXTRACTION_FEW_SHOT = env_int("DOCINTEL_EXTRACTION_FEW_SHOT", 0, minimum=0)
# Per-schema served model names, e.g. "contract=contract-lora,clinical_note=clinical-lora": vLLM serves
# one LoRA adapter per schema (--enable-lora --lora-modules); other schemas use DOCINTEL_LLM_MODEL.
LLM_SCHEMA_MODELS = env_str("DOCINTEL_LLM_SCHEMA_MODELS")

# True (the default): hybrid extraction asks the small model only for the fields the rules (and a
# contract's clause review) leave open, over the sections those fields need; none open, no model call.
# A field the rules placed keeps the rules' value in the merge either way, so asking the model for it only
# cost time: 4.0x less per contract on the embedded model at the same accuracy (docs/BENCHMARKS.md, "Asking
# the model only the open fields"). False asks every field, every time (the earlier behaviour).
EXTRACTION_ASK_OPEN_FIELDS_ONLY = env_bool("DOCINTEL_EXTRACTION_ASK_OPEN_FIELDS_ONLY", True)

# --- Chunking of long documents -----------------------------------------------------------------------
# At most this many prompts per document and model: bounds the time a contract takes.
EXTRACTION_MAX_CHUNKS = env_int("DOCINTEL_EXTRACTION_MAX_CHUNKS", 2, minimum=1)
EXTRACTION_CHUNK_OVERLAP = env_int("DOCINTEL_EXTRACTION_CHUNK_OVERLAP", 300, minimum=0)
