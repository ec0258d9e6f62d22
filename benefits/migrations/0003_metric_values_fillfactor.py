from django.db import migrations


def leave_room_for_updates(apps, schema_editor):
    """The nightly recompute rewrites figures in place: with half of each page free, PostgreSQL updates them
    without touching the indexes (heap-only tuples), which keeps the swap fast and the table small."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE benefits_metricvalue SET (fillfactor = 50)")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE benefits_metricvalue RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("benefits", "0002_default_assumptions_and_plan")]
    operations = [migrations.RunPython(leave_room_for_updates, fill_pages)]
