"""Default decision standards (editable in the admin): urgent within 2 hours, high 4, routine 24."""

from django.db import migrations

STANDARDS = {"urgent": 2, "high": 4, "routine": 24}


def add_standards(apps, schema_editor):
    DecisionStandard = apps.get_model("referrals", "DecisionStandard")
    for urgency, hours in STANDARDS.items():
        DecisionStandard.objects.update_or_create(urgency=urgency, defaults={"hours": hours})


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_referrals_and_decision_standards")]
    operations = [migrations.RunPython(add_standards, migrations.RunPython.noop)]
