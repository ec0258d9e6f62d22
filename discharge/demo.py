"""Demo wards and hospital stays: past spells over the demo years, and patients on the wards today."""

import datetime

from caseload.models import Patient
from discharge.models import Spell, Ward

SPECIALTIES = [
    ("AMU", "Acute Medical Unit", "Acute medicine"),
    ("W1", "Ward 1", "Care of the elderly"),
    ("W2", "Ward 2", "Care of the elderly"),
    ("W3", "Ward 3", "Care of the elderly"),
    ("W10", "Ward 10", "Respiratory medicine"),
    ("W11", "Ward 11", "Respiratory medicine"),
    ("W20", "Ward 20", "Cardiology"),
    ("W21", "Ward 21", "Gastroenterology"),
    ("W22", "Ward 22", "Stroke"),
    ("W23", "Ward 23", "Neurology"),
    ("W30", "Ward 30", "Trauma and orthopaedics"),
    ("W31", "Ward 31", "Trauma and orthopaedics"),
    ("W32", "Ward 32", "General surgery"),
    ("W33", "Ward 33", "Vascular surgery"),
    ("W40", "Ward 40", "Renal medicine"),
    ("W41", "Ward 41", "Diabetes and endocrinology"),
    ("W42", "Ward 42", "Oncology"),
    ("W50", "Ward 50", "Frailty assessment"),
    ("W51", "Ward 51", "General medicine"),
    ("W52", "Ward 52", "General medicine"),
]
SITES = [
    ("", "University Hospital Coventry"),
    ("RUG-", "Hospital of St Cross, Rugby"),
    ("GEH-", "George Eliot Hospital, Nuneaton"),
]


def seed(ctx, *, ward_user):
    wards = []
    for prefix, site in SITES[: ctx.scale.sites]:
        for code, name, specialty in SPECIALTIES:
            ward, _ = Ward.objects.update_or_create(
                code=f"{prefix}{code}",
                defaults={
                    "name": name if not prefix else f"{name} ({site.split(',')[0]})",
                    "specialty": specialty,
                    "site": site,
                    "is_active": True,
                },
            )
            wards.append(ward)
    ward_user.wards.set(wards[1:3])  # the demo ward login works on two care-of-the-elderly wards

    patient_ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    ctx.rng.shuffle(patient_ids)
    on_wards_now, past = patient_ids[: ctx.scale.open_spells], patient_ids[ctx.scale.open_spells :]
    spells = [_open_spell(ctx, patient_id, ctx.rng.choice(wards)) for patient_id in on_wards_now]
    spells += [_past_spell(ctx, patient_id, ctx.rng.choice(wards)) for patient_id in past[: len(past) * 3 // 5]]
    ctx.bulk_create(Spell, spells, "hospital stays")
    return wards


def _open_spell(ctx, patient_id, ward):
    admitted = ctx.as_of - datetime.timedelta(hours=ctx.rng.expovariate(1 / (24 * 7)))
    return Spell(patient_id=patient_id, ward=ward, admitted_at=admitted, created_at=admitted)


def _past_spell(ctx, patient_id, ward):
    admitted = ctx.moment_between(ctx.start, ctx.as_of - datetime.timedelta(days=45))
    stay = datetime.timedelta(hours=4 + ctx.rng.expovariate(1 / (24 * 8)))
    return Spell(
        patient_id=patient_id, ward=ward, admitted_at=admitted, discharged_at=admitted + stay, created_at=admitted
    )


def clear():
    Spell.objects.all().delete()
