"""Demo patients: mostly over 65, living in Coventry's CV1–CV7 districts, each on the LIT for their district."""

import datetime

from caseload.models import Locality, Patient, Sex
from ocit.identifiers import synthetic_nhs_numbers

# Rough share of OCIT's patients by postcode district.
DISTRICT_WEIGHTS = {"CV1": 10, "CV2": 20, "CV3": 18, "CV4": 12, "CV5": 14, "CV6": 20, "CV7": 6}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in real inward codes


def seed(ctx):
    teams = {loc.postcode_district: loc.team for loc in Locality.objects.select_related("team")}
    districts = list(DISTRICT_WEIGHTS)
    weights = list(DISTRICT_WEIGHTS.values())
    nhs_numbers = synthetic_nhs_numbers(start=0)
    patients = []
    for _ in range(ctx.scale.patients):
        rng, fake = ctx.rng, ctx.fake
        district = rng.choices(districts, weights)[0]
        sex = Sex.FEMALE if rng.random() < 0.58 else Sex.MALE
        age = rng.triangular(65, 103, 84) if rng.random() < 0.85 else rng.uniform(18, 65)
        known = rng.random() > 0.005
        patients.append(
            Patient(
                nhs_number=next(nhs_numbers) if known else None,
                nhs_number_unknown_reason="" if known else "Not yet traced on the national spine",
                given_name=fake.first_name_female() if sex == Sex.FEMALE else fake.first_name_male(),
                family_name=fake.last_name(),
                date_of_birth=ctx.as_of.date() - datetime.timedelta(days=int(age * 365.25)),
                sex=sex,
                address=f"{fake.street_address()}, Coventry".replace("\n", ", "),
                postcode=f"{district} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}",
                team=teams[district],
                created_at=ctx.moment_between(ctx.start, ctx.as_of),
            )
        )
    return ctx.bulk_create(Patient, patients, "patients")


def clear():
    Patient.objects.all().delete()
