import datetime
from decimal import Decimal

from django.db import migrations

START = datetime.date(2024, 4, 1)

# key, value, source — the defaults the board can edit in the admin (each change from a date).
ASSUMPTIONS = [
    ("care_hour_cost", "20.00", "Seeds: 400 hours a week saved is worth over £415k a year"),
    ("short_term_bed_week_cost", "673.00", "Seeds: 2 fewer short-term beds a week is about £70k a year"),
    ("long_term_bed_week_cost", "800.00", "Seeds: 250 fewer long-term bed weeks a year is about £200k"),
    ("acute_bed_day_cost", "346.00", "Commonly quoted excess bed-day cost"),
    ("baseline_delay_days", "4.00", "Before OCIT, patients waited about 4 days for the right provision"),
    ("baseline_short_term_beds", "30.00", "Local estimate of short-term beds in use before OCIT"),
    ("baseline_care_home_rate", "10.00", "Local estimate of reablement leavers going into a care home"),
    ("long_term_package_weeks", "80.00", "Seeds: 5 hours a week fewer started accumulate to about 400"),
    ("care_home_stay_weeks", "52.00", "Long-term bed weeks counted within a year"),
    ("population_65_plus", "58000.00", "Coventry residents aged 65+ (estimate)"),
    ("target_beds_released", "90.00", "Seed 001: release about 90 acute beds"),
    ("target_ucr_2h", "70.00", "National UCR standard: at least 70% within 2 hours"),
    ("target_short_term_outcome", "75.00", "Local ambition for the short-term service outcome"),
    ("target_ambulance_handover", "15.00", "Ambulance handover standard: 15 minutes"),
]

# Planned in-year savings (£000), roll-out from 1 July 2024 [seed 001].
PLAN = [(2024, 444, 511, 1006), (2025, 641, 1342, 2130), (2026, 641, 1724, 2423)]


def add_defaults(apps, schema_editor):
    Assumption = apps.get_model("benefits", "Assumption")
    FinancePlan = apps.get_model("benefits", "FinancePlan")
    for key, value, source in ASSUMPTIONS:
        Assumption.objects.get_or_create(
            key=key, effective_from=START, defaults={"value": Decimal(value), "source": source}
        )
    for year, short_term, long_term, home in PLAN:
        FinancePlan.objects.get_or_create(
            year_starting=year,
            defaults={"short_term_beds": short_term, "long_term_beds": long_term, "home_support": home},
        )


class Migration(migrations.Migration):
    dependencies = [("benefits", "0001_metrics_assumptions_and_runs")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
