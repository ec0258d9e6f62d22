"""Demo wards and hospital stays: past spells over the demo years, and patients on the wards today."""

import datetime

from caseload.demo import Weights, choose
from caseload.models import FollowUp
from discharge.models import Delay, DelayReason, NctrPeriod, Spell, Ward, WardStay
from ocit.demo import Row

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
# Where people discharged into reablement or rehabilitation were 91 days later; more at home with OCIT.
FOLLOW_UPS = {
    FollowUp.AT_HOME: 82,
    FollowUp.IN_HOSPITAL: 6,
    FollowUp.CARE_HOME: 4,
    FollowUp.DIED: 6,
    FollowUp.NOT_KNOWN: 2,
}
AT_HOME_91_DAYS = (76, 86)  # weight of "at home", before OCIT and once it was fully live
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
    """The wards; the hospital stays come with the referrals and journeys of `referrals.demo`."""
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
    return wards


class SpellBatch:
    """Builds hospital stays with their ward stay, no-criteria-to-reside period, delay reason and 91-day follow-up.

    A stay runs from admission to the discharge ready date (`days_to_ready`), then waits `delay_days` for the
    right provision; one that would end after the demo's now is still open.
    """

    def __init__(self, ctx, wards):
        self.ctx, self.rng, self.wards = ctx, ctx.rng, wards
        self.reasons = Weights(
            [(reason, REASON_WEIGHTS.get(reason.code, 1)) for reason in DelayReason.objects.order_by("code")]
        )
        self.spells = []  # (spell, ready_on)

    def add(self, patient_id, *, admitted, days_to_ready, delay_days, pathway, destination, emergency=True):
        rng, ctx = self.rng, self.ctx
        ready = admitted + datetime.timedelta(days=days_to_ready)
        discharged = ctx.by_day(ready + datetime.timedelta(days=delay_days, hours=rng.uniform(1, 6)), 10)
        spell = Row(
            patient_id=patient_id,
            ward_id=rng.choice(self.wards).id,
            admitted_at=admitted,
            created_at=admitted,
            admission_method="emergency" if emergency else "elective",
            expected_discharge_on=ctx.localdate(admitted) + datetime.timedelta(days=rng.randint(2, 10))
            if rng.random() < 0.85
            else None,
            clinical_criteria=rng.choice(CRITERIA),
            discharged_at=None,
            pathway=None,
            destination="",
        )
        if discharged < ctx.as_of:
            spell.discharged_at, spell.pathway, spell.destination = discharged, pathway, destination
            if pathway in (1, 2) and ctx.localdate(discharged) + datetime.timedelta(days=91) <= ctx.today:
                at_home = ctx.before_after(discharged, *AT_HOME_91_DAYS)
                spell.follow_up_91 = choose(rng, {**FOLLOW_UPS, FollowUp.AT_HOME: at_home})
        self.spells.append((spell, ctx.localdate(ready) if ready < ctx.as_of else None))
        return spell

    def save(self):
        """The stays (giving each its id), then their ward stays, no-criteria-to-reside periods and delays."""
        spells, self.spells = self.spells, []
        self.ctx.insert(Spell, [spell for spell, _ in spells])
        stays, periods, delays = [], [], []
        for spell, ready_on in spells:
            stays.append(
                Row(
                    spell_id=spell.id, ward_id=spell.ward_id, started_at=spell.admitted_at, ended_at=spell.discharged_at
                )
            )
            if ready_on is None:
                continue
            left_on = self.ctx.localdate(spell.discharged_at) if spell.discharged_at else None
            periods.append(Row(spell_id=spell.id, started_on=ready_on, ended_on=left_on))
            if (left_on or self.ctx.today) > ready_on:
                reason = choose(self.rng, self.reasons)
                delays.append(Row(spell_id=spell.id, reason_id=reason.id, started_on=ready_on, ended_on=left_on))
        self.ctx.insert(WardStay, stays)
        self.ctx.insert(NctrPeriod, periods)
        self.ctx.insert(Delay, delays)
        return {"spells": len(spells), "ward stays": len(stays), "NCTR periods": len(periods), "delays": len(delays)}


def clear():
    for model in (Delay, NctrPeriod, WardStay, Spell):
        model.objects.all().delete()
