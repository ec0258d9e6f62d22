"""Every write that changes an episode, a patient, a hospital stay or a referral raises its version, so that an
edit made against what it was before is refused (409), never laid silently over the change.

The test walks every public function of the three services modules: a new service that writes must be given
a case in `CHANGES` (or, if it creates the record, in `CREATES`; if it only reads, in `READS`), or it fails.
"""

import datetime
import inspect

import pytest
from django.utils import timezone

from caseload import services as caseload
from caseload.models import AllocationRole, Episode, Patient, Sequel
from discharge import services as discharge
from discharge.models import DelayReason, Spell
from referrals import services as referrals
from referrals.models import Referral
from tests import factories

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
READS = {
    "team_for_postcode",
    "response_standard_for",
    "check_ward_access",
    "follow_up_due_on",
    "allowed_moves",
    "discharge_outcome",
}
# A correction from the hospital's feed that removes the record (and its ward stays) altogether.
DELETES = {"spell_cancel_admission"}


class Cast:
    """A patient with an episode, and the staff and wards the writes need; each case builds on it."""

    def __init__(self, teams, coordinator, practitioner, ward_a, ward_b):
        self.coordinator, self.practitioner, self.ward_a, self.ward_b = coordinator, practitioner, ward_a, ward_b
        self.patient = factories.PatientFactory(team=teams["newfield-house"])
        self.episode = caseload.episode_open(
            actor=coordinator,
            patient=self.patient,
            service="step_up_reablement",
            source="gp",
            priority="high",
            received_at=timezone.now() - 5 * HOUR,
        )

    def active(self):
        caseload.episode_allocate(actor=self.coordinator, episode=self.episode, practitioner=self.practitioner)
        return Episode.objects.get(pk=self.episode.pk)

    def stay(self, ready=False):
        spell = discharge.spell_admit(
            actor=self.coordinator, patient=self.patient, ward=self.ward_a, admitted_at=timezone.now() - 2 * DAY
        )
        if ready:
            discharge.nctr_start(actor=self.coordinator, spell=spell, started_on=timezone.localdate())
        return Spell.objects.get(pk=spell.pk)

    def referral(self, spell=None):
        return referrals.referral_raise(
            actor=self.coordinator,
            patient=self.patient,
            spell=spell,
            source="ward" if spell else "gp",
            referrer_name="Sam Nurse",
            reason="Needs help at home",
            requested_service="step_down_reablement" if spell else "therapy_at_home",
            urgency="high",
        )

    def version_of(self, obj):
        return lambda: type(obj).objects.get(pk=obj.pk).version


# Each case sets up what the write needs, then returns (how to read the version it must raise, the write).
def episode_case(write, *, active=False):
    def case(c):
        episode = c.active() if active else c.episode
        return c.version_of(episode), lambda: write(c, episode)

    return case


def spell_case(write, *, ready=False):
    def case(c):
        spell = c.stay(ready=ready)
        return c.version_of(spell), lambda: write(c, spell)

    return case


def referral_case(write, *, accepted=False):
    def case(c):
        referral = c.referral()
        if accepted:
            referral = referrals.referral_accept(actor=c.coordinator, referral=referral)
        return c.version_of(referral), lambda: write(c, referral)

    return case


def allocation_end_case(c):
    episode = c.active()
    colleague = factories.UserFactory(discipline="physio", team=c.patient.team)
    extra = caseload.episode_allocate(
        actor=c.coordinator,
        episode=episode,
        practitioner=colleague,
        role=AllocationRole.PRACTITIONER,
        version=episode.version,
    )
    return c.version_of(episode), lambda: caseload.allocation_end(actor=c.coordinator, allocation=extra)


def goal_update_case(c):
    episode = c.active()
    goal = caseload.goal_add(actor=c.coordinator, episode=episode, text="Walk to the shop")
    return c.version_of(episode), lambda: caseload.goal_update(
        actor=c.coordinator, goal=goal, version=goal.version, values={"text": "Walk to the shop and back"}
    )


def episode_start_clock_case(c):
    referral = c.referral(c.stay())
    referrals.referral_accept(actor=c.coordinator, referral=referral)
    episode = Referral.objects.get(pk=referral.pk).episode
    return c.version_of(episode), lambda: caseload.episode_start_clock(
        actor=c.coordinator, episode=episode, at=timezone.now()
    )


def spell_follow_up_case(c):
    spell = factories.SpellFactory(
        patient=c.patient,
        ward=c.ward_a,
        admitted_at=timezone.now() - 110 * DAY,
        discharged_at=timezone.now() - 100 * DAY,
        pathway=1,
    )
    return c.version_of(spell), lambda: discharge.spell_follow_up(actor=c.coordinator, spell=spell, follow_up="at_home")


def discharge_record_case(c):
    spell = c.stay()
    referral = c.referral(spell)
    spell_version, referral_version = c.version_of(spell), c.version_of(referral)
    return lambda: (spell_version(), referral_version()), lambda: referrals.discharge_record(
        actor=c.coordinator, spell=spell, discharged_at=timezone.now(), destination="usual_residence", pathway=1
    )


def patient_update_case(c):
    return c.version_of(c.patient), lambda: caseload.patient_update(
        actor=c.coordinator, patient=c.patient, version=c.patient.version, values={"phone": "024 7649 6001"}
    )


CHANGES = {
    "patient_update": patient_update_case,
    "episode_start_clock": episode_start_clock_case,
    "episode_end": episode_case(
        lambda c, e: caseload.episode_end(
            actor=c.coordinator, episode=e, sequel=Sequel.DIED, at=timezone.now(), reason=""
        )
    ),
    "episode_update": episode_case(
        lambda c, e: caseload.episode_update(
            actor=c.coordinator, episode=e, version=e.version, values={"reason": "New"}
        )
    ),
    "episode_allocate": episode_case(
        lambda c, e: caseload.episode_allocate(actor=c.coordinator, episode=e, practitioner=c.practitioner)
    ),
    "allocation_end": allocation_end_case,
    "contact_record": episode_case(
        lambda c, e: caseload.contact_record(
            actor=c.practitioner, episode=e, at=timezone.now() - HOUR, duration_minutes=30, location="phone"
        ),
        active=True,
    ),
    "goal_add": episode_case(lambda c, e: caseload.goal_add(actor=c.coordinator, episode=e, text="Cook"), active=True),
    "goal_update": goal_update_case,
    "package_record": episode_case(
        lambda c, e: caseload.package_record(
            actor=c.coordinator,
            episode=e,
            stage="start",
            effective_on=timezone.localdate(),
            hours_per_week=7,
            calls_per_day=1,
            carers_per_call=1,
            provider_type="reablement",
        ),
        active=True,
    ),
    "equipment_add": episode_case(
        lambda c, e: caseload.equipment_add(
            actor=c.coordinator, episode=e, item="Perching stool", provided_on=timezone.localdate()
        ),
        active=True,
    ),
    "episode_close": episode_case(
        lambda c, e: caseload.episode_close(
            actor=c.coordinator,
            episode=e,
            version=e.version,
            sequel=Sequel.DECLINED,
            closed_at=timezone.now(),
            closure_reason="Declined",
            goal_outcomes={},
            closing_package=None,
        )
    ),
    "spell_transfer": spell_case(lambda c, s: discharge.spell_transfer(actor=c.coordinator, spell=s, ward=c.ward_b)),
    "spell_cancel_transfer": spell_case(
        lambda c, s: discharge.spell_cancel_transfer(
            actor=c.coordinator,
            spell=discharge.spell_transfer(actor=c.coordinator, spell=s, ward=c.ward_b),
            ward=c.ward_a,
            reason="ADT A12",
        )
    ),
    "spell_cancel_discharge": spell_case(
        lambda c, s: discharge.spell_cancel_discharge(
            actor=c.coordinator,
            spell=discharge.spell_discharge(
                actor=c.coordinator, spell=s, discharged_at=timezone.now(), destination="usual_residence", pathway=0
            ),
            reason="ADT A13",
        )
    ),
    "spell_update": spell_case(
        lambda c, s: discharge.spell_update(actor=c.coordinator, spell=s, version=s.version, clinical_criteria="Home")
    ),
    "spell_follow_up": spell_follow_up_case,
    "nctr_start": spell_case(
        lambda c, s: discharge.nctr_start(actor=c.coordinator, spell=s, started_on=timezone.localdate())
    ),
    "nctr_end": spell_case(
        lambda c, s: discharge.nctr_end(actor=c.coordinator, spell=s, ended_on=timezone.localdate()), ready=True
    ),
    "delay_set": spell_case(
        lambda c, s: discharge.delay_set(actor=c.coordinator, spell=s, reason=DelayReason.objects.order_by("pk")[0]),
        ready=True,
    ),
    "spell_discharge": spell_case(
        lambda c, s: discharge.spell_discharge(
            actor=c.coordinator, spell=s, discharged_at=timezone.now(), destination="usual_residence", pathway=0
        )
    ),
    "discharge_record": discharge_record_case,
    "referral_accept": referral_case(lambda c, r: referrals.referral_accept(actor=c.coordinator, referral=r)),
    "referral_decline": referral_case(
        lambda c, r: referrals.referral_decline(actor=c.coordinator, referral=r, reason="Needs are health-only")
    ),
    "referral_redirect": referral_case(
        lambda c, r: referrals.referral_redirect(actor=c.coordinator, referral=r, to_where="District nursing")
    ),
    "referral_withdraw": referral_case(
        lambda c, r: referrals.referral_withdraw(actor=c.coordinator, referral=r, reason="Patient declined")
    ),
    "referral_complete": referral_case(
        lambda c, r: referrals.referral_complete(actor=c.coordinator, referral=r), accepted=True
    ),
}
CREATES = {
    "patient_create": lambda c: caseload.patient_create(
        actor=c.coordinator,
        values={
            "nhs_number": "999 600 0001",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "date_of_birth": datetime.date(1940, 1, 2),
            "postcode": "CV6 4DD",
        },
    ),
    "episode_open": lambda c: c.episode,
    "spell_admit": lambda c: c.stay(),
    "referral_raise": lambda c: c.referral(),
}


@pytest.fixture
def cast(teams, coordinator, practitioner, ward_a, ward_b):
    return Cast(teams, coordinator, practitioner, ward_a, ward_b)


def test_every_public_service_is_a_change_a_creation_or_a_read():
    public = {
        name
        for module in (caseload, discharge, referrals)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }
    assert public == set(CHANGES) | set(CREATES) | READS | DELETES


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_change_raises_the_version(cast, name):
    read, write = CHANGES[name](cast)
    before = read()

    write()

    after = read()
    if isinstance(before, tuple):
        assert all(new > old for old, new in zip(before, after, strict=True)), name
    else:
        assert after > before, name


@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_new_record_starts_at_version_1(cast, name):
    created = CREATES[name](cast)
    assert type(created).objects.get(pk=created.pk).version == 1
    assert isinstance(created, Patient | Episode | Spell | Referral)
