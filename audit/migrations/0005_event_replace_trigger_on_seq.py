"""SQLite: the trigger that refuses ``INSERT OR REPLACE`` over an event compares ``seq`` only (the one
unique column). It also compared ``hash``, which has no index since the tree replaced the chain, so
every append scanned the whole log under SQLite's write lock."""

from django.db import migrations

from audit import append_only


def recreate(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL's upserts are refused by its UPDATE trigger: nothing to change
    with schema_editor.connection.cursor() as cursor:
        for statement in append_only.replace_trigger_sql("audit_auditevent"):
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_merkle_tree")]
    operations = [migrations.RunPython(recreate, migrations.RunPython.noop)]
