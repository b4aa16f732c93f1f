"""The document pipeline: an ordered list of stages (settings.PIPELINE_STAGES), one Celery task each."""
