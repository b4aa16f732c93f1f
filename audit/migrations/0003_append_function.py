"""Version 1 of the log appended through a PostgreSQL function that serialised every writer on a lock.
Superseded by 0004 (which drops that function where it exists): nothing to create any more."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations: list = []
