"""The three Local Integrated Teams and the Coventry postcode districts each serves.

The district → LIT mapping is reference data that administrators can change in the admin.
"""

from django.db import migrations

TEAMS = [
    ("newfield-house", "Newfield House LIT", "Newfield House, Coventry"),
    ("opal-centre", "Opal Centre LIT", "Opal Centre, Coventry"),
    ("tile-hill", "Tile Hill LIT", "Tile Hill Primary Care Centre, Coventry"),
]

DISTRICTS = {
    "CV1": "newfield-house",
    "CV6": "newfield-house",
    "CV2": "opal-centre",
    "CV3": "opal-centre",
    "CV4": "tile-hill",
    "CV5": "tile-hill",
    "CV7": "tile-hill",
}


def add_teams(apps, schema_editor):
    Team = apps.get_model("caseload", "Team")
    Locality = apps.get_model("caseload", "Locality")
    for code, name, base in TEAMS:
        Team.objects.update_or_create(code=code, defaults={"name": name, "base": base})
    for district, code in DISTRICTS.items():
        Locality.objects.update_or_create(postcode_district=district, defaults={"team": Team.objects.get(code=code)})


class Migration(migrations.Migration):
    dependencies = [("caseload", "0001_initial")]
    operations = [migrations.RunPython(add_teams, migrations.RunPython.noop)]
