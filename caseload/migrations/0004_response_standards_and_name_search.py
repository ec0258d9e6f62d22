"""Default response standards (editable in the admin) and, on PostgreSQL, trigram indexes for name search."""

from django.db import migrations

# (service, priority, hours, name): UCR within 2 hours; reablement within 2 days.
STANDARDS = [
    *[("ucr", priority, 2, "UCR 2-hour") for priority in ("urgent", "high", "routine")],
    *[
        (service, priority, 48, "Reablement 2-day")
        for service in ("step_up_reablement", "step_down_reablement")
        for priority in ("urgent", "high", "routine")
    ],
    ("bed_based", "urgent", 24, "Bed-based 1-day"),
    ("bed_based", "high", 48, "Bed-based 2-day"),
    ("bed_based", "routine", 48, "Bed-based 2-day"),
    ("therapy_at_home", "urgent", 48, "Therapy 2-day"),
    ("therapy_at_home", "high", 72, "Therapy 3-day"),
    ("therapy_at_home", "routine", 168, "Therapy 7-day"),
    ("other", "urgent", 48, "2-day"),
    ("other", "high", 72, "3-day"),
    ("other", "routine", 168, "7-day"),
]

TRIGRAM = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS patient_family_name_trgm ON caseload_patient USING gin (lower(family_name) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS patient_given_name_trgm ON caseload_patient USING gin (lower(given_name) gin_trgm_ops);
"""
NO_TRIGRAM = """
DROP INDEX IF EXISTS patient_family_name_trgm;
DROP INDEX IF EXISTS patient_given_name_trgm;
"""


def add_standards(apps, schema_editor):
    ResponseStandard = apps.get_model("caseload", "ResponseStandard")
    for service, priority, hours, name in STANDARDS:
        ResponseStandard.objects.update_or_create(
            service=service, priority=priority, defaults={"hours": hours, "name": name}
        )


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGRAM, params=None)


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NO_TRIGRAM, params=None)


class Migration(migrations.Migration):
    dependencies = [("caseload", "0003_patient_details_and_episodes")]
    operations = [
        migrations.RunPython(add_standards, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
