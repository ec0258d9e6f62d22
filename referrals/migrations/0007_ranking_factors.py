from django.db import migrations

# How likely an admitted patient is to need OCIT (the pull list's ranking): the programme's starting points.
FACTORS = [
    ("recent_episode", "Open or recent OCIT episode (last {n} days)", 40, 90),
    ("long_stay_before", "A stay of {n}+ days in the last year", 20, 21),
    ("frail", "Clinical Frailty Scale {n}+", 20, 5),
    ("aged", "Aged {n}+", 20, 65),
    ("very_old", "Aged {n}+", 10, 85),
    ("in_area", "Lives in a Coventry LIT's area", 10, 0),
]


def add(apps, schema_editor):
    RankingFactor = apps.get_model("referrals", "RankingFactor")
    for key, label, points, threshold in FACTORS:
        RankingFactor.objects.update_or_create(
            key=key, defaults={"label": label, "points": points, "threshold": threshold}
        )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0006_rankingfactor_alter_referral_source")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
