"""``manage.py init_data_dir``: create the data directory (``DOCINTEL_DATA_DIR``), its key folder and
the embedded default's secret key. ``bin/setup`` runs it; running it again changes nothing."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from docintel.checks import prepare_data_dir


class Command(BaseCommand):
    help = "Create the data directory and the embedded default's secret key (safe to run again)."
    requires_system_checks: list[str] = []  # this is what makes the data-dir checks pass

    def handle(self, *args, **options) -> None:
        data_dir = prepare_data_dir(settings.DATA_DIR, settings.KEYS_DIR, settings.SECRET_KEY_FILE)
        self.stdout.write(f"data directory ready: {data_dir}")
