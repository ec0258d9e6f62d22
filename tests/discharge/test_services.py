"""Hospital stays: admission, criteria to reside, delays and their rules."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from discharge import selectors, services
from discharge.models import DelayReason, Spell
from ocit.errors import Conflict

DAY = datetime.timedelta(days=1)


@pytest.fixture
def spell(patient, ward_a, ward_nurse):
    return services.spell_admit(actor=ward_nurse, patient=patient, ward=ward_a, admitted_at=timezone.now() - 6 * DAY)


def reason(code):
    return DelayReason.objects.get(code=code)


def test_admission_opens_a_ward_stay(spell, ward_a):
    assert spell.ward_stays.get().ward == ward_a


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"admitted_at": timezone.now() + 3 * DAY}, "admitted_at"),
        ({"expected_discharge_on": timezone.localdate() - 30 * DAY}, "expected_discharge_on"),
    ],
)
def test_it_refuses_impossible_admissions(patient, ward_a, ward_nurse, kwargs, field):
    values = {"admitted_at": timezone.now() - DAY, **kwargs}
    with pytest.raises(ValidationError) as error:
        services.spell_admit(actor=ward_nurse, patient=patient, ward=ward_a, **values)
    assert field in error.value.message_dict
    assert not Spell.objects.exists()


def test_a_second_open_spell_is_refused(spell, patient, ward_a, ward_nurse):
    with pytest.raises(Conflict, match="already in hospital"):
        services.spell_admit(actor=ward_nurse, patient=patient, ward=ward_a, admitted_at=timezone.now())


@pytest.mark.postgres
def test_the_database_refuses_a_second_open_spell(spell, ward_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Spell.objects.create(patient=spell.patient, ward=ward_a, admitted_at=timezone.now())


def test_discharge_ready_date_is_the_start_of_the_latest_nctr_period(spell, ward_nurse):
    today = timezone.localdate()
    services.nctr_start(actor=ward_nurse, spell=spell, started_on=today - 4 * DAY)
    services.nctr_end(actor=ward_nurse, spell=spell, ended_on=today - 3 * DAY)
    services.nctr_start(actor=ward_nurse, spell=spell, started_on=today - 2 * DAY)
    row = selectors.spell_get(user=ward_nurse, pk=spell.pk)
    assert row.discharge_ready_on == today - 2 * DAY and row.no_criteria_to_reside
    assert spell.nctr_periods.count() == 2


@pytest.mark.parametrize(("days", "message"), [(-10, "before admission"), (2, "in the future")])
def test_it_refuses_a_discharge_ready_date_before_admission_or_in_the_future(spell, ward_nurse, days, message):
    with pytest.raises(ValidationError, match=message):
        services.nctr_start(actor=ward_nurse, spell=spell, started_on=timezone.localdate() + days * DAY)


def test_a_change_of_delay_reason_ends_one_row_and_starts_another(spell, ward_nurse):
    today = timezone.localdate()
    services.nctr_start(actor=ward_nurse, spell=spell, started_on=today - 3 * DAY)
    services.delay_set(actor=ward_nurse, spell=spell, reason=reason("awaiting-assessment"), started_on=today - 3 * DAY)
    services.delay_set(actor=ward_nurse, spell=spell, reason=reason("awaiting-package-of-care"), started_on=today)
    first, second = spell.delays.order_by("started_on")
    assert first.ended_on == today and second.ended_on is None
    assert selectors.spell_get(user=ward_nurse, pk=spell.pk).delay_reason == "Awaiting package of care at home"


def test_a_delay_reason_needs_a_discharge_ready_date(spell, ward_nurse):
    with pytest.raises(ValidationError, match="discharge ready date first"):
        services.delay_set(actor=ward_nurse, spell=spell, reason=reason("housing"))


def test_ward_staff_cannot_act_on_another_wards_patient(patient, ward_b, ward_nurse, coordinator):
    elsewhere = services.spell_admit(actor=coordinator, patient=patient, ward=ward_b, admitted_at=timezone.now())
    with pytest.raises(PermissionDenied):
        services.nctr_start(actor=ward_nurse, spell=elsewhere, started_on=timezone.localdate())
    assert not selectors.open_spells_for(user=ward_nurse).filter(pk=elsewhere.pk).exists()


def test_discharge_before_admission_is_refused(spell, ward_nurse):
    with pytest.raises(ValidationError, match="before the admission"):
        services.spell_discharge(
            actor=ward_nurse,
            spell=spell,
            discharged_at=spell.admitted_at - DAY,
            destination="usual_residence",
            pathway=0,
        )
    spell.refresh_from_db()
    assert spell.discharged_at is None


def test_a_discharge_before_the_last_transfer_is_refused(spell, ward_b, coordinator):
    moved = timezone.now() - datetime.timedelta(hours=1)
    services.spell_transfer(actor=coordinator, spell=spell, ward=ward_b, at=moved)
    with pytest.raises(ValidationError, match="before the patient arrived on the current ward"):
        services.spell_discharge(
            actor=coordinator,
            spell=spell,
            discharged_at=moved - datetime.timedelta(minutes=1),
            destination="usual_residence",
            pathway=0,
        )
    spell.refresh_from_db()
    assert spell.discharged_at is None and spell.ward_stays.get(ended_at=None).ward == ward_b


def test_a_transfer_ends_one_ward_stay_and_starts_another(spell, ward_b, coordinator):
    services.spell_transfer(actor=coordinator, spell=spell, ward=ward_b)
    spell.refresh_from_db()
    assert spell.ward == ward_b
    assert [stay.ward for stay in spell.ward_stays.all()][-1] == ward_b
    assert spell.ward_stays.filter(ended_at=None).count() == 1
