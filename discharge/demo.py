"""Demo wards and hospital stays: past spells over the demo years, and patients on the wards today."""

import datetime

from caseload.models import Patient
from discharge.models import Delay, DelayReason, NctrPeriod, Spell, Ward, WardStay

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
CRITERIA = [
    "Mobile with frame, pain controlled on oral analgesia",
    "Bloods back to baseline, off IV antibiotics for 24 hours",
    "Safe on stairs with physio, eating and drinking",
    "Oxygen saturation above 92% on air",
    "",
]
DESTINATIONS = {0: "usual_residence", 1: "usual_residence", 2: "community_bed", 3: "care_home"}
REASON_WEIGHTS = {
    "awaiting-package-of-care": 8,
    "awaiting-reablement": 6,
    "awaiting-assessment": 5,
    "awaiting-care-home": 3,
    "awaiting-community-bed": 3,
    "awaiting-equipment": 2,
    "patient-family-choice": 2,
    "awaiting-transport": 2,
    "awaiting-medicines": 2,
}
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
    spells = ctx.bulk_create(Spell, spells, "hospital stays")
    _seed_stays_and_delays(ctx, spells)
    return spells


def _open_spell(ctx, patient_id, ward):
    rng = ctx.rng
    admitted = ctx.as_of - datetime.timedelta(hours=rng.expovariate(1 / (24 * 7)))
    return Spell(
        patient_id=patient_id,
        ward=ward,
        admitted_at=admitted,
        created_at=admitted,
        admission_method="emergency" if rng.random() < 0.9 else "elective",
        expected_discharge_on=(admitted + datetime.timedelta(days=rng.randint(2, 10))).date()
        if rng.random() < 0.85
        else None,
        clinical_criteria=rng.choice(CRITERIA),
    )


def _past_spell(ctx, patient_id, ward):
    rng = ctx.rng
    stay = datetime.timedelta(hours=4 + rng.expovariate(1 / (24 * 8)))
    # Discharged at any time up to the demo's "now", so recent weeks have their full share of discharges.
    admitted = ctx.moment_between(ctx.start, ctx.as_of - stay - datetime.timedelta(hours=1))
    pathway = rng.choices([0, 1, 2, 3], [55, 38, 5, 2])[0]
    return Spell(
        patient_id=patient_id,
        ward=ward,
        admitted_at=admitted,
        discharged_at=admitted + stay,
        created_at=admitted,
        admission_method="emergency" if rng.random() < 0.9 else "elective",
        expected_discharge_on=(admitted + datetime.timedelta(days=rng.randint(2, 10))).date(),
        pathway=pathway,
        destination=DESTINATIONS[pathway],
    )


def _seed_stays_and_delays(ctx, spells):
    """A ward stay per spell; for about half, a no-criteria-to-reside period and the reasons for the delay.

    Past delays shrink over the years (the pull model at work): about 4 days before OCIT, nearer 2 now.
    """
    rng = ctx.rng
    reasons = list(DelayReason.objects.order_by("code"))
    weights = [REASON_WEIGHTS.get(reason.code, 1) for reason in reasons]
    stays, periods, delays = [], [], []
    today = ctx.as_of.date()
    for spell in spells:
        stays.append(
            WardStay(spell=spell, ward_id=spell.ward_id, started_at=spell.admitted_at, ended_at=spell.discharged_at)
        )
        if rng.random() > 0.5:
            continue
        admitted_on = spell.admitted_at.date()
        if spell.discharged_at:
            left_on = spell.discharged_at.date()
            progress = (spell.admitted_at - ctx.start) / (ctx.as_of - ctx.start)
            delay_days = min(int(rng.expovariate(1 / (4 - 2 * progress))), (left_on - admitted_on).days)
            ready_on = left_on - datetime.timedelta(days=delay_days)
        else:
            left_on = None
            ready_on = today - datetime.timedelta(days=min(int(rng.expovariate(1 / 3)), (today - admitted_on).days))
        periods.append(NctrPeriod(spell=spell, started_on=ready_on, ended_on=left_on))
        if (left_on or today) > ready_on:
            reason = rng.choices(reasons, weights)[0]
            delays.append(Delay(spell=spell, reason=reason, started_on=ready_on, ended_on=left_on))
    ctx.bulk_create(WardStay, stays, "ward stays")
    ctx.bulk_create(NctrPeriod, periods, "no-criteria-to-reside periods")
    ctx.bulk_create(Delay, delays, "delays")


def clear():
    for model in (Delay, NctrPeriod, WardStay, Spell):
        model.objects.all().delete()
