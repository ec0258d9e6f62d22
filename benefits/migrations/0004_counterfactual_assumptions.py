import datetime
from decimal import Decimal

from django.db import migrations

START = datetime.date(2024, 4, 1)
GO_LIVE = datetime.date(2024, 7, 1)

# key, effective from, value, source — the counterfactual baselines, national definitions and roll-out goals.
ASSUMPTIONS = [
    ("ocit_live", START, "0", "Before the roll-out: no saving is counted"),
    ("ocit_live", GO_LIVE, "1", "Seed 001: OCIT rolled out from 1 July 2024"),
    ("baseline_long_term_hours", START, "170", "Local estimate: long-term home-care hours started a week in 2023/24"),
    ("baseline_care_home_admissions", START, "130", "Local estimate: permanent care-home admissions a year in 2023/24"),
    ("baseline_days_to_ready", START, "6", "Local estimate: mean days from admission to discharge ready in 2023/24"),
    ("avoided_stay_days", START, "8", "Local estimate: mean emergency stay of a person aged 65+"),
    ("ucr_hours_from", START, "8", "National UCR standard: 8am to 8pm, 7 days a week"),
    ("ucr_hours_to", START, "20", "National UCR standard: 8am to 8pm, 7 days a week"),
    ("target_handover_15", START, "65", "Ambulance handover standard: 65% within 15 minutes"),
    ("target_handover_30", START, "95", "Ambulance handover standard: 95% within 30 minutes"),
    ("target_handover_60", START, "100", "Ambulance handover standard: all within 60 minutes"),
    ("target_pathway_0", START, "50", "National planning share: at least 50% on pathway 0"),
    ("target_pathway_1", START, "45", "National planning share: about 45% on pathway 1"),
    ("target_pathway_2", START, "4", "National planning share: at most 4% on pathway 2"),
    ("target_pathway_3", START, "1", "National planning share: at most 1% on pathway 3"),
    (
        "target_care_hours_saved",
        START,
        "2000",
        "Seed 001: over 2,000 long-term care hours saved a week at full roll-out",
    ),
    ("target_short_term_beds_saved", START, "16", "Seed 001: over 16 short-term beds saved at full roll-out"),
    ("target_long_term_beds_saved", START, "51", "Seed 001: over 51 long-term beds saved at full roll-out"),
    ("target_system_benefit", START, "13600000", "Seed 001: overall system benefit £13.6m a year"),
]
# Defaults that change, where nobody has edited them: key → (old value, new value, new source).
CHANGED = {
    "care_home_stay_weeks": ("52.00", "104", "Local estimate: a permanent care-home stay lasts about two years"),
    "baseline_short_term_beds": ("30.00", "30", "Local estimate: short-term beds in use in 2023/24"),
    "target_beds_released": ("90.00", "90", "Seed 001: release 90+ acute beds across the system"),
}
# Replaced: a rate of reablement leavers by admissions a year; a mean handover time by the national bands.
RETIRED = ["baseline_care_home_rate", "target_ambulance_handover"]


def add_defaults(apps, schema_editor):
    Assumption = apps.get_model("benefits", "Assumption")
    for key, effective_from, value, source in ASSUMPTIONS:
        Assumption.objects.get_or_create(
            key=key, effective_from=effective_from, defaults={"value": Decimal(value), "source": source}
        )
    for key, (old, new, source) in CHANGED.items():
        Assumption.objects.filter(key=key, effective_from=START, value=Decimal(old)).update(
            value=Decimal(new), source=source
        )
    Assumption.objects.filter(key__in=RETIRED).delete()


class Migration(migrations.Migration):
    dependencies = [("benefits", "0003_metric_values_fillfactor")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
