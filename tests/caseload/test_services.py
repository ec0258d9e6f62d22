"""The caseload services: the rules every screen and the API rely on."""

import datetime
import threading
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from caseload import services
from caseload.models import Allocation, Episode, EpisodeStatus, GoalStatus, Patient, Sequel
from ocit.errors import Conflict
from ocit.models import ChangeLog
from tests import factories

HOUR = datetime.timedelta(hours=1)


def open_episode(patient, coordinator, service="ucr", priority="urgent", received_at=None):
    return services.episode_open(
        actor=coordinator,
        patient=patient,
        service=service,
        source="gp",
        priority=priority,
        received_at=received_at or timezone.now() - HOUR,
    )


@pytest.fixture
def episode(patient, coordinator):
    return open_episode(patient, coordinator)


@pytest.fixture
def active_episode(episode, coordinator, practitioner):
    services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
    episode.refresh_from_db()
    return episode


def test_due_by_follows_the_response_standard_for_service_and_priority(patient, coordinator):
    received = timezone.now() - HOUR
    ucr = open_episode(patient, coordinator, received_at=received)
    reablement = open_episode(patient, coordinator, service="step_up_reablement", received_at=received)
    assert ucr.due_by == received + 2 * HOUR and ucr.response_standard == "UCR 2-hour"
    assert reablement.due_by == received + 48 * HOUR


LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    "received, due_utc",
    [
        # Spring: at 01:00 GMT the clocks go forward to 02:00 BST. 00:30 GMT + 2 elapsed hours is 02:30 UTC
        # (03:30 BST), not the 02:30 on the wall clock (01:30 UTC), which would give only one real hour.
        (
            datetime.datetime(2025, 3, 30, 0, 30, tzinfo=LONDON),
            datetime.datetime(2025, 3, 30, 2, 30, tzinfo=datetime.UTC),
        ),
        # Autumn: at 02:00 BST the clocks go back to 01:00 GMT. 00:30 BST (23:30 UTC) + 2 hours is 01:30 UTC
        # (01:30 GMT), not 02:30 on the wall clock (02:30 UTC), which would give three real hours.
        (
            datetime.datetime(2025, 10, 26, 0, 30, tzinfo=LONDON),
            datetime.datetime(2025, 10, 26, 1, 30, tzinfo=datetime.UTC),
        ),
    ],
)
def test_the_response_clock_runs_in_elapsed_time_across_both_clock_changes(patient, coordinator, received, due_utc):
    ucr = open_episode(patient, coordinator, received_at=received)
    assert ucr.due_by == due_utc
    assert ucr.due_by - received == 2 * HOUR
    ucr.refresh_from_db()
    assert ucr.due_by == due_utc


def test_a_new_priority_moves_the_due_by_time_in_elapsed_time(patient, coordinator):
    received = datetime.datetime(2025, 10, 25, 22, 0, tzinfo=LONDON)  # the night the clocks go back
    episode = open_episode(patient, coordinator, service="step_up_reablement", priority="routine", received_at=received)
    services.episode_update(actor=coordinator, episode=episode, version=episode.version, values={"priority": "urgent"})
    episode.refresh_from_db()
    standard = services.response_standard_for(service="step_up_reablement", priority="urgent")
    assert episode.due_by - received == standard.hours * HOUR


@pytest.mark.parametrize("location", ["phone", "video"])
def test_a_call_does_not_stop_the_response_clock_but_a_visit_does(active_episode, practitioner, location):
    call_at = active_episode.received_at + datetime.timedelta(minutes=20)
    services.contact_record(
        actor=practitioner, episode=active_episode, at=call_at, duration_minutes=10, location=location
    )
    active_episode.refresh_from_db()
    assert active_episode.first_contact_at is None
    visit_at = active_episode.received_at + datetime.timedelta(minutes=50)
    services.contact_record(
        actor=practitioner, episode=active_episode, at=visit_at, duration_minutes=30, location="home"
    )
    active_episode.refresh_from_db()
    assert active_episode.first_contact_at == visit_at


def test_it_refuses_a_referral_received_in_the_future(patient, coordinator):
    with pytest.raises(ValidationError) as error:
        open_episode(patient, coordinator, received_at=timezone.now() + 2 * HOUR)
    assert "received_at" in error.value.message_dict
    assert not Episode.objects.exists()


def test_it_refuses_a_second_open_episode_of_the_same_service(episode, patient, coordinator):
    with pytest.raises(Conflict, match="already has an open"):
        open_episode(patient, coordinator)
    open_episode(patient, coordinator, service="therapy_at_home")
    assert Episode.objects.count() == 2


@pytest.mark.postgres
def test_the_database_refuses_two_open_episodes_of_one_service(episode):
    duplicate = Episode.objects.get(pk=episode.pk)
    duplicate.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_allocating_makes_the_episode_active_and_is_audited(episode, coordinator, practitioner):
    allocation = services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.ACTIVE and episode.version == 2
    assert allocation.allocated_by == coordinator and allocation.discipline == "ot"
    assert ChangeLog.objects.filter(object_type="caseload.allocation", actor=coordinator).exists()
    assert ChangeLog.objects.filter(
        object_type="caseload.episode", action="transition", changes__status=["awaiting_allocation", "active"]
    ).exists()


def test_practitioners_cannot_allocate(episode, practitioner):
    with pytest.raises(PermissionDenied):
        services.episode_allocate(actor=practitioner, episode=episode, practitioner=practitioner)


def test_it_refuses_a_practitioner_of_another_team_or_an_inactive_one(episode, coordinator, teams):
    elsewhere = factories.UserFactory(role="lit_practitioner", discipline="physio", team=teams["tile-hill"])
    inactive = factories.UserFactory(
        role="lit_practitioner", discipline="physio", team=teams["newfield-house"], is_active=False
    )
    for practitioner, message in ((elsewhere, "not in"), (inactive, "not an active")):
        with pytest.raises(ValidationError, match=message):
            services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
    assert not Allocation.objects.exists()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.AWAITING_ALLOCATION


def test_the_second_allocation_is_told_who_allocated_first(active_episode, coordinator, teams):
    other = factories.UserFactory(role="lit_coordinator", discipline="coordinator", team=teams["newfield-house"])
    nurse = factories.UserFactory(role="lit_practitioner", discipline="nurse", team=teams["newfield-house"])
    with pytest.raises(Conflict, match=f"by {coordinator.full_name}"):
        services.episode_allocate(actor=other, episode=active_episode, practitioner=nurse)


def test_reallocating_ends_one_row_and_opens_another(active_episode, coordinator, practitioner, teams):
    nurse = factories.UserFactory(role="lit_practitioner", discipline="nurse", team=teams["newfield-house"])
    services.episode_allocate(
        actor=coordinator, episode=active_episode, practitioner=nurse, version=active_episode.version
    )
    rows = list(Allocation.objects.filter(episode=active_episode).order_by("started_at", "id"))
    assert [row.practitioner for row in rows] == [practitioner, nurse]
    assert rows[0].ended_at is not None and rows[1].ended_at is None


def test_a_stale_version_is_refused_with_the_current_values(active_episode, coordinator, teams):
    nurse = factories.UserFactory(role="lit_practitioner", discipline="nurse", team=teams["newfield-house"])
    with pytest.raises(Conflict) as error:
        services.episode_allocate(actor=coordinator, episode=active_episode, practitioner=nurse, version=1)
    assert error.value.details["current"]["status"] == "active"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_allocating_at_once_exactly_one_wins(teams):
    team = teams["newfield-house"]
    first, second = (factories.UserFactory(role="lit_coordinator", discipline="coordinator", team=team) for _ in "ab")
    practitioners = [factories.UserFactory(role="lit_practitioner", discipline="ot", team=team) for _ in "ab"]
    episode = open_episode(factories.PatientFactory(team=team), first)
    start = threading.Barrier(2)
    outcomes = []

    def allocate(coordinator, practitioner):
        start.wait()
        try:
            services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
            outcomes.append("won")
        except Conflict as conflict:
            outcomes.append(conflict.message)
        finally:
            connection.close()

    pairs = zip((first, second), practitioners, strict=True)
    threads = [threading.Thread(target=allocate, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[-1] == "won" and outcomes.count("won") == 1
    loser = next(outcome for outcome in outcomes if outcome != "won")
    assert "Already allocated to" in loser
    assert Allocation.objects.filter(episode=episode).count() == 1


def test_the_first_attended_contact_stops_the_clock(active_episode, practitioner):
    at = timezone.now() - datetime.timedelta(minutes=30)
    services.contact_record(
        actor=practitioner,
        episode=active_episode,
        at=at,
        duration_minutes=45,
        location="home",
        next_contact_on=timezone.localdate() + datetime.timedelta(days=2),
    )
    active_episode.refresh_from_db()
    assert active_episode.first_contact_at == at and active_episode.met_standard is True
    assert active_episode.next_contact_on == timezone.localdate() + datetime.timedelta(days=2)


def test_it_refuses_a_contact_before_the_episode_started(active_episode, practitioner):
    with pytest.raises(ValidationError) as error:
        services.contact_record(
            actor=practitioner,
            episode=active_episode,
            at=active_episode.received_at - HOUR,
            duration_minutes=30,
            location="home",
        )
    assert "before the referral was received" in error.value.message_dict["at"][0]
    assert not active_episode.contacts.exists()


def test_a_missed_contact_needs_a_reason(active_episode, practitioner):
    with pytest.raises(ValidationError, match="why the contact did not happen"):
        services.contact_record(
            actor=practitioner,
            episode=active_episode,
            at=timezone.now(),
            duration_minutes=0,
            location="home",
            attended=False,
        )


def test_it_refuses_to_close_without_sequel_package_or_goal_outcomes(active_episode, practitioner):
    goal = services.goal_add(actor=practitioner, episode=active_episode, text="Make my own breakfast")
    active_episode.refresh_from_db()  # a new goal raised the episode's version
    with pytest.raises(ValidationError) as error:
        services.episode_close(actor=practitioner, episode=active_episode, version=active_episode.version, sequel="")
    assert set(error.value.message_dict) == {"sequel", "goal_outcomes", "closing_package"}
    active_episode.refresh_from_db()
    goal.refresh_from_db()
    assert active_episode.status == EpisodeStatus.ACTIVE and goal.status == GoalStatus.OPEN


def test_closing_records_sequel_package_and_goals_together(active_episode, practitioner):
    goal = services.goal_add(actor=practitioner, episode=active_episode, text="Walk to the shop")
    active_episode.refresh_from_db()  # a new goal raised the episode's version
    services.episode_close(
        actor=practitioner,
        episode=active_episode,
        version=active_episode.version,
        sequel=Sequel.NO_ONGOING_SUPPORT,
        goal_outcomes={goal.pk: GoalStatus.ACHIEVED},
        closing_package={"hours_per_week": 0, "calls_per_day": 0, "carers_per_call": 0, "provider_type": "none"},
    )
    active_episode.refresh_from_db()
    goal.refresh_from_db()
    assert active_episode.status == EpisodeStatus.CLOSED and active_episode.sequel == Sequel.NO_ONGOING_SUPPORT
    assert goal.status == GoalStatus.ACHIEVED
    assert active_episode.packages.get(stage="end").hours_per_week == 0
    assert not active_episode.allocations.filter(ended_at=None).exists()


def test_a_closed_episode_cannot_move_again_and_says_what_is_allowed(active_episode, practitioner):
    services.episode_close(
        actor=practitioner, episode=active_episode, version=active_episode.version, sequel=Sequel.DECLINED
    )
    active_episode.refresh_from_db()
    with pytest.raises(Conflict) as error:
        services.episode_close(
            actor=practitioner, episode=active_episode, version=active_episode.version, sequel=Sequel.DIED
        )
    assert error.value.details["allowed_moves"] == []


def patient_values(**overrides):
    return {
        "nhs_number": "999 000 0018",
        "given_name": "Edna",
        "family_name": "Test",
        "sex": "female",
        "date_of_birth": datetime.date(1938, 5, 1),
        "postcode": "cv2 4aa",
        **overrides,
    }


def test_a_new_patient_gets_the_lit_for_their_postcode(coordinator, teams):
    patient = services.patient_create(actor=coordinator, values=patient_values())
    assert patient.nhs_number == "9990000018" and patient.postcode == "CV2 4AA"
    assert patient.team == teams["opal-centre"]
    assert ChangeLog.objects.filter(object_type="caseload.patient", patient_id=patient.pk, action="create").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"nhs_number": "999 000 0019"}, "nhs_number"),
        ({"postcode": "CV99 ZZZZ"}, "postcode"),
        ({"date_of_birth": datetime.date.today() + datetime.timedelta(days=1)}, "date_of_birth"),
        ({"gp_practice_code": "12345"}, "gp_practice_code"),
        ({"nhs_number": "", "nhs_number_unknown_reason": ""}, "__all__"),
    ],
)
def test_bad_patient_details_are_refused_field_by_field(coordinator, teams, overrides, field):
    with pytest.raises(ValidationError) as error:
        services.patient_create(actor=coordinator, values=patient_values(**overrides))
    assert field in error.value.message_dict
    assert not Patient.objects.filter(given_name="Edna").exists()


def test_overriding_the_lit_needs_a_reason(coordinator, teams):
    with pytest.raises(ValidationError, match="served by Opal Centre"):
        services.patient_create(actor=coordinator, values=patient_values(team=teams["tile-hill"]))
    patient = services.patient_create(
        actor=coordinator, values=patient_values(team=teams["tile-hill"], team_override_reason="Daughter in CV4")
    )
    assert patient.team == teams["tile-hill"]


def test_a_second_writer_on_an_old_version_is_told_what_changed(patient, coordinator, practitioner):
    services.patient_update(actor=coordinator, patient=patient, version=1, values={"phone": "024 7600 0000"})
    with pytest.raises(Conflict) as error:
        services.patient_update(actor=practitioner, patient=patient, version=1, values={"phone": "07700 900000"})
    assert error.value.details["current"]["phone"] == "024 7600 0000"
    patient.refresh_from_db()
    assert patient.phone == "024 7600 0000" and patient.version == 2


def test_a_closed_episode_takes_no_more_goal_changes_packages_or_equipment(active_episode, practitioner):
    goal = services.goal_add(actor=practitioner, episode=active_episode, text="Cook a meal")
    active_episode.refresh_from_db()  # a new goal raised the episode's version
    services.episode_close(
        actor=practitioner,
        episode=active_episode,
        version=active_episode.version,
        sequel=Sequel.DIED,
        goal_outcomes={goal.pk: GoalStatus.NOT_ACHIEVED},
    )
    active_episode.refresh_from_db()
    goal.refresh_from_db()
    with pytest.raises(Conflict, match="closed"):
        services.goal_update(actor=practitioner, goal=goal, version=goal.version, values={"text": "x"})
    with pytest.raises(Conflict, match="closed"):
        services.equipment_add(
            actor=practitioner, episode=active_episode, item="Walking frame", provided_on=timezone.localdate()
        )
    with pytest.raises(Conflict, match="closed"):
        services.package_record(
            actor=practitioner,
            episode=active_episode,
            stage="change",
            effective_on=timezone.localdate(),
            hours_per_week=7,
            calls_per_day=1,
            carers_per_call=1,
            provider_type="independent",
        )


def test_a_goal_target_cannot_be_before_the_episode(active_episode, practitioner):
    goal = services.goal_add(actor=practitioner, episode=active_episode, text="Cook a meal")
    active_episode.refresh_from_db()  # a new goal raised the episode's version
    with pytest.raises(ValidationError, match="before the episode started"):
        services.goal_update(
            actor=practitioner,
            goal=goal,
            version=goal.version,
            values={"target_date": active_episode.received_at.date() - datetime.timedelta(days=3)},
        )
