import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docintel.settings")
application = get_wsgi_application()

# Loaded by servers only (runserver, gunicorn): on the embedded default they also run the pipeline.
from django.core.signals import request_started  # noqa: E402

from docintel.documents.tasks import start_in_process_sweeper  # noqa: E402

request_started.connect(start_in_process_sweeper, dispatch_uid="docintel.in_process_sweeper")

# ... and send completion webhooks' retries (what Celery beat does with workers).
from docintel.api.webhooks import start_in_process_sweeper as start_webhook_sweeper  # noqa: E402

request_started.connect(start_webhook_sweeper, dispatch_uid="docintel.webhook_sweeper")

# ... and place committed audit events in the Merkle tree (every process tries; one at a time does).
from audit.sequencer import start_in_background as start_audit_sequencer  # noqa: E402

request_started.connect(start_audit_sequencer, dispatch_uid="docintel.audit_sequencer")
