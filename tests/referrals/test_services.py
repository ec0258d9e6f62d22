"""Referrals: the transition table, the pull model from ward to caseload, and the discharge."""

import datetime
import threading
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from caseload.models import Episode, EpisodeStatus
from discharge import services as discharge_services
from ocit.errors import Conflict
from referrals import services
from referrals.models import Referral, ReferralStatus
from tests import factories

DAY = datetime.timedelta(days=1)


@pytest.fixture
def spell(patient, ward_a, ward_nurse):
    return discharge_services.spell_admit(
        actor=ward_nurse, patient=patient, ward=ward_a, admitted_at=timezone.now() - 3 * DAY
    )


def raise_referral(actor, spell, **overrides):
    values = {
        "patient": spell.patient,
        "spell": spell,
        "source": "ward",
        "referrer_name": "Sam Nurse",
        "reason": "Needs help at home to get washed and dressed",
        "requested_service": "step_down_reablement",
        "urgency": "high",
        **overrides,
    }
    return services.referral_raise(actor=actor, **values)


@pytest.fixture
def referral(spell, ward_nurse):
    return raise_referral(ward_nurse, spell)


def test_a_ward_referral_has_a_decision_clock(referral):
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.decision_due_by - referral.received_at == datetime.timedelta(hours=4)


@pytest.mark.parametrize(
    "received",
    [
        datetime.datetime(2025, 3, 30, 0, 30, tzinfo=zoneinfo.ZoneInfo("Europe/London")),  # clocks go forward
        datetime.datetime(2025, 10, 26, 0, 30, tzinfo=zoneinfo.ZoneInfo("Europe/London")),  # clocks go back
    ],
)
def test_the_decision_clock_runs_in_elapsed_time_across_clock_changes(patient, coordinator, received):
    referral = services.referral_raise(
        actor=coordinator,
        patient=patient,
        spell=None,
        source="gp",
        referrer_name="Dr Kaur",
        reason="Frailty decompensation",
        requested_service="ucr",
        urgency="high",
        received_at=received,
    )
    referral.refresh_from_db()
    assert referral.decision_due_by - referral.received_at == datetime.timedelta(hours=4)
    assert referral.decision_due_by == received.astimezone(datetime.UTC) + datetime.timedelta(hours=4)


def test_one_open_referral_per_spell(referral, spell, ward_nurse):
    with pytest.raises(Conflict, match="already has an open referral"):
        raise_referral(ward_nurse, spell)


@pytest.mark.postgres
def test_the_database_refuses_a_second_open_referral_for_a_spell(referral):
    duplicate = Referral.objects.get(pk=referral.pk)
    duplicate.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_ward_staff_cannot_refer_from_another_ward(patient, ward_b, ward_nurse, coordinator):
    elsewhere = discharge_services.spell_admit(
        actor=coordinator, patient=patient, ward=ward_b, admitted_at=timezone.now()
    )
    with pytest.raises(PermissionDenied):
        raise_referral(ward_nurse, elsewhere)
    assert not Referral.objects.exists()


def test_a_patient_without_an_nhs_number_cannot_be_referred(spell, ward_nurse):
    spell.patient.nhs_number = None
    spell.patient.nhs_number_unknown_reason = "Unconscious on arrival"
    spell.patient.save()
    with pytest.raises(ValidationError, match="NHS number"):
        raise_referral(ward_nurse, spell)


def test_accepting_puts_the_patient_on_the_shared_caseload(referral, coordinator):
    services.referral_accept(actor=coordinator, referral=referral)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.decided_by == coordinator
    assert referral.episode.patient == referral.patient
    assert referral.episode.status == EpisodeStatus.AWAITING_ALLOCATION


def test_accepting_attaches_to_an_open_episode_of_the_same_service(referral, coordinator):
    from caseload import services as caseload_services

    existing = caseload_services.episode_open(
        actor=coordinator,
        patient=referral.patient,
        service="step_down_reablement",
        source="gp",
        priority="routine",
        received_at=timezone.now() - DAY,
    )
    services.referral_accept(actor=coordinator, referral=referral)
    referral.refresh_from_db()
    assert referral.episode == existing and Episode.objects.count() == 1


def test_ward_staff_cannot_decide(referral, ward_nurse):
    with pytest.raises(PermissionDenied):
        services.referral_accept(actor=ward_nurse, referral=referral)


def test_declining_needs_a_reason_and_a_decided_referral_cannot_be_decided_again(referral, coordinator):
    with pytest.raises(ValidationError, match="reason"):
        services.referral_decline(actor=coordinator, referral=referral, reason=" ")
    services.referral_decline(
        actor=coordinator, referral=referral, reason="Needs are health-only", outcome="District nurses"
    )
    with pytest.raises(Conflict) as error:
        services.referral_accept(actor=coordinator, referral=referral)
    assert error.value.details["allowed_moves"] == []


def test_ward_staff_may_withdraw_their_own_wards_referral(referral, ward_nurse):
    services.referral_withdraw(actor=ward_nurse, referral=referral, reason="Patient died")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN and referral.decision_reason == "Patient died"


def test_a_stale_decision_is_told_who_decided_first(referral, coordinator, practitioner):
    stale = Referral.objects.get(pk=referral.pk)
    services.referral_accept(actor=coordinator, referral=referral)
    with pytest.raises(Conflict, match=f"accepted by {coordinator.full_name}"):
        services.referral_redirect(actor=practitioner, referral=stale, to_where="District nursing")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_accepting_at_once_exactly_one_wins(teams):
    team = teams["newfield-house"]
    ward = factories.WardFactory(code="W77")
    nurse = factories.UserFactory(role="ward_staff")
    nurse.wards.add(ward)
    deciders = [factories.UserFactory(role="lit_coordinator", discipline="coordinator", team=team) for _ in "ab"]
    spell = discharge_services.spell_admit(
        actor=nurse, patient=factories.PatientFactory(team=team), ward=ward, admitted_at=timezone.now() - DAY
    )
    referral = raise_referral(nurse, spell)
    start = threading.Barrier(2)
    outcomes = []

    def accept(user):
        start.wait()
        try:
            services.referral_accept(actor=user, referral=Referral.objects.get(pk=referral.pk))
            outcomes.append((user, "won"))
        except Conflict as conflict:
            outcomes.append((user, conflict.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(user,)) for user in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [user for user, outcome in outcomes if outcome == "won"]
    assert len(winners) == 1
    # The loser is told who accepted it, whether its update found the status moved on or it read the referral only
    # after the winner had committed (on a busy machine, one thread may start late).
    loser = next(outcome for user, outcome in outcomes if outcome != "won")
    assert str(winners[0]) in loser and ("already accepted by" in loser or "It was decided by" in loser)
    assert Episode.objects.filter(patient=spell.patient).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_referrals_for_one_patient_and_service_accepted_at_once_share_the_episode(teams):
    team = teams["newfield-house"]
    patient = factories.PatientFactory(team=team)
    deciders = [factories.UserFactory(role="lit_coordinator", discipline="coordinator", team=team) for _ in "ab"]
    referrals = [
        services.referral_raise(
            actor=deciders[0],
            patient=patient,
            source=source,
            referrer_name="Dr Kaur",
            reason="Reduced mobility",
            requested_service="therapy_at_home",
            urgency="routine",
        )
        for source in ("gp", "community")
    ]
    start = threading.Barrier(2)
    errors = []

    def accept(user, referral):
        start.wait()
        try:
            services.referral_accept(actor=user, referral=Referral.objects.get(pk=referral.pk))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=pair) for pair in zip(deciders, referrals, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    episode = Episode.objects.get(patient=patient)
    assert {(r.status, r.episode_id) for r in Referral.objects.filter(patient=patient)} == {
        (ReferralStatus.ACCEPTED, episode.pk)
    }


@pytest.mark.parametrize(("pathway", "service"), [(1, "step_down_reablement"), (2, "bed_based")])
def test_a_pathway_1_or_2_discharge_opens_the_step_down_episode(referral, coordinator, pathway, service):
    services.referral_accept(actor=coordinator, referral=referral)
    destination = "usual_residence" if pathway == 1 else "community_bed"
    spell, episode = services.discharge_record(
        actor=coordinator,
        spell=referral.spell,
        discharged_at=timezone.now(),
        destination=destination,
        pathway=pathway,
    )
    referral.refresh_from_db()
    assert spell.discharged_at is not None and spell.pathway == pathway
    assert episode.service == service and episode.team == referral.patient.team
    assert referral.status == ReferralStatus.COMPLETED


def test_a_pathway_0_discharge_completes_the_referral_even_when_ward_staff_record_it(referral, ward_nurse):
    _, episode = services.discharge_record(
        actor=ward_nurse,
        spell=referral.spell,
        discharged_at=timezone.now(),
        destination="usual_residence",
        pathway=0,
    )
    referral.refresh_from_db()
    assert episode is None and referral.status == ReferralStatus.COMPLETED
    assert "Pathway 0" in referral.outcome


def test_delay_days_are_derived_from_the_discharge_ready_date(spell, ward_nurse):
    today = timezone.localdate()
    discharge_services.nctr_start(actor=ward_nurse, spell=spell, started_on=today - 2 * DAY)
    services.discharge_record(
        actor=ward_nurse, spell=spell, discharged_at=timezone.now(), destination="usual_residence", pathway=0
    )
    period = spell.nctr_periods.get()
    assert period.ended_on == today and (period.ended_on - period.started_on).days == 2
