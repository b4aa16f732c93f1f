import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docintel.settings")
application = get_wsgi_application()

# Loaded by servers only (runserver, gunicorn): on the embedded default they also run the pipeline.
from docintel.documents.recovery import start_in_process_sweeper  # noqa: E402

start_in_process_sweeper()
