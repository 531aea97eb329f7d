"""Leave room in each page of schedules_item so that recompute's updates can be HOT updates.

Recompute rewrites the computed columns (dates, floats, critical) of every item a change moved,
often thousands of rows at once. None of those columns is indexed, so with free space on the
page PostgreSQL updates the row in place of its page (a heap-only tuple) instead of adding an
entry to each of the table's nine indexes.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE schedules_item SET (fillfactor = 70)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE schedules_item RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("schedules", "0001_initial")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
