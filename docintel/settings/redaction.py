"""Settings of the redaction stage (deployment rules an admin adds in the Django admin apply on top)."""

from django.core.exceptions import ImproperlyConfigured

from .env import env_choice, env_float, env_list

# --- Redaction ---------------------------------------------------------------------------------------
# Spans scored below this are not redacted (a RedactionPolicy row in the admin overrides it).
REDACTION_THRESHOLD = env_float("DOCINTEL_REDACTION_THRESHOLD", 0.35)
if not 0.0 <= REDACTION_THRESHOLD <= 1.0:
    raise ImproperlyConfigured("DOCINTEL_REDACTION_THRESHOLD must be between 0 and 1")
# Comma-separated words never redacted (whole span, any case), e.g. the clinic's own name.
REDACTION_ALLOW = env_list("DOCINTEL_REDACTION_ALLOW", [])
# Comma-separated words always redacted; "TYPE:term" (e.g. "NAME:Gregory House") sets the type.
REDACTION_DENY = env_list("DOCINTEL_REDACTION_DENY", [])
# "placeholder" ([NAME], [MRN]...) or "pseudonym" (consistent surrogates per document) for the pipeline.
REDACTION_MODE = env_choice("DOCINTEL_REDACTION_MODE", ("placeholder", "pseudonym"), "placeholder")
# "clinical" (default: adds the high-recall pass, every capitalised word no list knows is redacted) or
# "contract" (company names and defined terms stay readable) for the CLI and for documents of unknown
# kind; the pipeline redacts documents classified as contracts with "contract", the rest with "clinical".
REDACTION_PROFILE = env_choice("DOCINTEL_REDACTION_PROFILE", ("clinical", "contract"), "clinical")
# Comma-separated ISO 3166 region codes whose phone numbers are looked for (e.g. "DE,AT,CH"); empty: all.
REDACTION_PHONE_REGIONS = [code.upper() for code in env_list("DOCINTEL_REDACTION_PHONE_REGIONS", [])]


def _check_phone_regions() -> None:
    from phonenumbers import SUPPORTED_REGIONS

    unknown = sorted(set(REDACTION_PHONE_REGIONS) - SUPPORTED_REGIONS)
    if unknown:
        codes = ", ".join(unknown)
        raise ImproperlyConfigured(f"DOCINTEL_REDACTION_PHONE_REGIONS has unknown region codes: {codes}")


_check_phone_regions()
