"""The database, not only the application, refuses to change or remove audit rows (PostgreSQL and
SQLite triggers; see audit/append_only.py and deploy/postgres/)."""

from django.db import migrations

from audit import append_only


def protect(apps, schema_editor):
    append_only.protect(schema_editor.connection, append_only.LOG_V1_TABLES)


def unprotect(apps, schema_editor):
    append_only.unprotect(schema_editor.connection, append_only.LOG_V1_TABLES)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_log")]
    operations = [migrations.RunPython(protect, unprotect)]
