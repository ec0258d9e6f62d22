"""The delay reasons staff choose from (editable in the admin), and a ward-stay row for each open spell."""

from django.db import migrations

DELAY_REASONS = [
    ("awaiting-assessment", "Awaiting assessment"),
    ("awaiting-package-of-care", "Awaiting package of care at home"),
    ("awaiting-reablement", "Awaiting reablement capacity"),
    ("awaiting-community-bed", "Awaiting community bed"),
    ("awaiting-care-home", "Awaiting care-home placement"),
    ("awaiting-equipment", "Awaiting equipment or adaptations"),
    ("patient-family-choice", "Patient or family choice"),
    ("housing", "Housing"),
    ("awaiting-transport", "Awaiting transport"),
    ("awaiting-medicines", "Awaiting medicines (TTO)"),
    ("disputes-funding", "Disputes or funding"),
    ("other", "Other"),
]


def add_reasons(apps, schema_editor):
    DelayReason = apps.get_model("discharge", "DelayReason")
    for code, name in DELAY_REASONS:
        DelayReason.objects.update_or_create(code=code, defaults={"name": name})


def add_ward_stays(apps, schema_editor):
    Spell = apps.get_model("discharge", "Spell")
    WardStay = apps.get_model("discharge", "WardStay")
    WardStay.objects.bulk_create(
        WardStay(spell_id=spell.pk, ward_id=spell.ward_id, started_at=spell.admitted_at, ended_at=spell.discharged_at)
        for spell in Spell.objects.filter(ward_stays__isnull=True).only("pk", "ward_id", "admitted_at", "discharged_at")
    )


class Migration(migrations.Migration):
    dependencies = [("discharge", "0002_spell_details_ward_stays_nctr_delays")]
    operations = [
        migrations.RunPython(add_reasons, migrations.RunPython.noop),
        migrations.RunPython(add_ward_stays, migrations.RunPython.noop),
    ]
