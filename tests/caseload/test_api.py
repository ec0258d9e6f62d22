"""The caseload REST API: role scoping, field errors, conflicts, access logging and a fixed query count."""

import datetime

import pytest
from django.utils import timezone

from caseload import services
from caseload.models import Allocation, Contact, Episode, EpisodeStatus, Goal, GoalStatus, Patient
from ocit.models import AccessLog
from tests import factories

HOUR = datetime.timedelta(hours=1)
API = "/api/v1"
LIT_STAFF = ["practitioner", "coordinator"]
NOT_LIT_STAFF = ["ward_nurse", "board_member", "sysadmin"]
# Any logged-in request: session and user read, then the session saved again for the idle time-out (3 in a test).
PER_REQUEST_QUERIES = 2 + 3
EPISODE_LIST_QUERIES = PER_REQUEST_QUERIES + 2  # episodes with patient, LIT and current keyworker; access log


def open_episode(patient, actor, service="ucr", received_at=None):
    return services.episode_open(
        actor=actor,
        patient=patient,
        service=service,
        source="gp",
        priority="urgent",
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


@pytest.fixture
def goal(active_episode, practitioner):
    return services.goal_add(actor=practitioner, episode=active_episode, text="Make my own breakfast")


@pytest.fixture
def as_user(client, request, db):
    def login(fixture_name):
        client.force_login(request.getfixturevalue(fixture_name))
        return client

    return login


def send(client, method, url, data):
    return getattr(client, method)(url, data, content_type="application/json")


def new_patient(**overrides):
    return {
        "nhs_number": "999 000 0018",
        "given_name": "Edna",
        "family_name": "Testington",
        "sex": "female",
        "date_of_birth": "1938-05-01",
        "postcode": "cv2 4aa",
        **overrides,
    }


def closing(version, **overrides):
    package = {"hours_per_week": "0", "calls_per_day": 0, "carers_per_call": 0, "provider_type": "none"}
    return {"version": version, "sequel": "no_ongoing_support", "closing_package": package, **overrides}


# Role scoping ---------------------------------------------------------------------------------------

READS = [
    "/patients/",
    "/patients/{patient}/",
    "/episodes/",
    "/episodes/{episode}/",
    "/episodes/{episode}/allocations/",
    "/episodes/{episode}/contacts/",
    "/goals/",
    "/goals/{goal}/",
]


def read_url(path, goal):
    return API + path.format(patient=goal.episode.patient_id, episode=goal.episode_id, goal=goal.pk)


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("role", LIT_STAFF)
def test_lit_staff_read_every_caseload_endpoint(as_user, goal, role, path):
    assert as_user(role).get(read_url(path, goal)).status_code == 200


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("role", NOT_LIT_STAFF)
def test_other_roles_are_refused_every_caseload_endpoint(as_user, goal, role, path):
    response = as_user(role).get(read_url(path, goal))
    if role == "ward_nurse" and path.startswith("/patients/"):
        # Ward staff see the people who stayed on their wards: not this one.
        assert response.status_code == 404 if "{" in path else response.json()["results"] == []
    else:
        assert response.status_code == 403


WRITES = [
    ("post", "/patients/"),
    ("patch", "/patients/{patient}/"),
    ("post", "/episodes/"),
    ("patch", "/episodes/{episode}/"),
    ("post", "/episodes/{episode}/close/"),
    ("post", "/episodes/{episode}/allocations/"),
    ("post", "/episodes/{episode}/contacts/"),
    ("post", "/goals/"),
    ("patch", "/goals/{goal}/"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("role", NOT_LIT_STAFF)
def test_other_roles_cannot_write_to_the_caseload(as_user, goal, role, method, path):
    response = send(as_user(role), method, read_url(path, goal), {"version": 1})
    assert response.status_code == 403


def test_practitioners_cannot_allocate(as_user, episode, practitioner):
    url = f"{API}/episodes/{episode.pk}/allocations/"
    response = send(as_user("practitioner"), "post", url, {"practitioner": practitioner.pk})
    assert response.status_code == 403
    assert not Allocation.objects.exists()


# Patients -------------------------------------------------------------------------------------------


def test_a_patient_is_created_from_an_nhs_number_typed_with_spaces(as_user, teams):
    response = send(as_user("coordinator"), "post", f"{API}/patients/", new_patient())
    assert response.status_code == 201
    assert response.json()["nhs_number"] == "9990000018" and response.json()["lit"] == "opal-centre"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"nhs_number": "999 000 0019"}, "nhs_number"),
        ({"postcode": "CV99 ZZZZ"}, "postcode"),
        ({"date_of_birth": str(datetime.date.today() + datetime.timedelta(days=1))}, "date_of_birth"),
        ({"date_of_birth": "not a date"}, "date_of_birth"),
    ],
)
def test_bad_patient_details_are_a_400_naming_the_field(as_user, teams, overrides, field):
    response = send(as_user("coordinator"), "post", f"{API}/patients/", new_patient(**overrides))
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not Patient.objects.filter(given_name="Edna").exists()


def test_a_likely_duplicate_is_a_409_listing_the_candidates(as_user, patient):
    duplicate = new_patient(family_name=patient.family_name, date_of_birth=str(patient.date_of_birth))
    response = send(as_user("coordinator"), "post", f"{API}/patients/", duplicate)
    assert response.status_code == 409
    assert [candidate["id"] for candidate in response.json()["candidates"]] == [patient.pk]
    assert Patient.objects.count() == 1


def test_a_confirmed_non_duplicate_is_created(as_user, patient):
    duplicate = new_patient(
        family_name=patient.family_name, date_of_birth=str(patient.date_of_birth), confirm_not_duplicate=True
    )
    assert send(as_user("coordinator"), "post", f"{API}/patients/", duplicate).status_code == 201
    assert Patient.objects.count() == 2


def test_updating_a_patient_needs_the_version(as_user, patient):
    response = send(as_user("practitioner"), "patch", f"{API}/patients/{patient.pk}/", {"phone": "024 7600 0000"})
    assert response.status_code == 400 and "version" in response.json()["errors"]


def test_a_stale_patient_version_is_a_409_with_the_current_values(as_user, patient, coordinator):
    services.patient_update(actor=coordinator, patient=patient, version=1, values={"phone": "024 7600 0000"})
    url = f"{API}/patients/{patient.pk}/"
    response = send(as_user("practitioner"), "patch", url, {"version": 1, "phone": "07700 900000"})
    assert response.status_code == 409
    assert response.json()["current"]["phone"] == "024 7600 0000" and response.json()["version"] == 2


def test_a_patient_update_returns_the_new_version(as_user, patient):
    url = f"{API}/patients/{patient.pk}/"
    response = send(as_user("practitioner"), "patch", url, {"version": 1, "phone": "024 7600 0000"})
    assert response.status_code == 200 and response.json()["version"] == 2


def test_retrieving_a_patient_writes_an_access_log_row(as_user, patient, practitioner):
    as_user("practitioner").get(f"{API}/patients/{patient.pk}/")
    assert AccessLog.objects.get().patient_id == patient.pk


# Episodes -------------------------------------------------------------------------------------------


def test_an_episode_is_opened_with_its_due_by_time(as_user, patient):
    received = timezone.now() - HOUR
    data = {"patient": patient.pk, "service": "ucr", "source": "gp", "priority": "urgent", "received_at": received}
    response = send(as_user("coordinator"), "post", f"{API}/episodes/", data)
    assert response.status_code == 201
    assert response.json()["status"] == "awaiting_allocation" and response.json()["response_standard"] == "UCR 2-hour"


def test_a_second_open_episode_of_one_service_is_a_409(as_user, episode, patient):
    data = {"patient": patient.pk, "service": "ucr", "source": "gp", "received_at": timezone.now() - HOUR}
    response = send(as_user("coordinator"), "post", f"{API}/episodes/", data)
    assert response.status_code == 409 and "already has an open" in response.json()["detail"]
    assert Episode.objects.count() == 1


def test_the_episode_list_shows_the_current_keyworker(as_user, active_episode, practitioner):
    row = as_user("coordinator").get(f"{API}/episodes/").json()["results"][0]
    assert row["keyworker"]["id"] == practitioner.pk and row["keyworker"]["name"] == practitioner.full_name


def test_the_episode_list_uses_the_screens_filters(as_user, active_episode, coordinator, teams):
    other = open_episode(factories.PatientFactory(team=teams["tile-hill"]), coordinator)
    client = as_user("coordinator")
    ids = [row["id"] for row in client.get(f"{API}/episodes/?lit=tile-hill").json()["results"]]
    assert ids == [other.pk]


def make_episodes(count, coordinator, practitioner, team):
    for number in range(count):
        episode = open_episode(factories.PatientFactory(team=team), coordinator)
        if number % 2:
            services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)


def test_the_episode_list_costs_the_same_queries_for_3_and_30_episodes(
    as_user, coordinator, practitioner, teams, django_assert_num_queries
):
    client = as_user("coordinator")
    make_episodes(3, coordinator, practitioner, teams["newfield-house"])
    with django_assert_num_queries(EPISODE_LIST_QUERIES):
        assert len(client.get(f"{API}/episodes/").json()["results"]) == 3
    make_episodes(27, coordinator, practitioner, teams["newfield-house"])
    with django_assert_num_queries(EPISODE_LIST_QUERIES):
        assert len(client.get(f"{API}/episodes/").json()["results"]) == 30


def test_retrieving_an_episode_writes_an_access_log_row(as_user, episode, patient):
    as_user("practitioner").get(f"{API}/episodes/{episode.pk}/")
    row = AccessLog.objects.get()
    assert (row.patient_id, row.object_type, row.object_id) == (patient.pk, "caseload.episode", str(episode.pk))


def test_a_new_priority_moves_the_due_by_time(as_user, patient, coordinator):
    episode = open_episode(patient, coordinator, service="therapy_at_home")
    url = f"{API}/episodes/{episode.pk}/"
    response = send(as_user("coordinator"), "patch", url, {"version": episode.version, "priority": "routine"})
    assert response.status_code == 200
    episode.refresh_from_db()
    assert (episode.response_standard, episode.due_by) == ("Therapy 7-day", episode.received_at + 168 * HOUR)


def test_a_stale_episode_version_is_a_409_with_the_current_values(as_user, active_episode):
    url = f"{API}/episodes/{active_episode.pk}/"
    response = send(as_user("practitioner"), "patch", url, {"version": 1, "what_matters": "Walk the dog"})
    assert response.status_code == 409 and response.json()["current"]["status"] == "active"


def test_closing_records_the_sequel_and_goal_outcomes(as_user, active_episode, goal):
    active_episode.refresh_from_db()  # the goal raised the episode's version
    url = f"{API}/episodes/{active_episode.pk}/close/"
    data = closing(active_episode.version, goal_outcomes={str(goal.pk): "achieved"})
    response = send(as_user("practitioner"), "post", url, data)
    assert response.status_code == 200 and response.json()["status"] == "closed"
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED


def test_closing_without_a_sequel_is_a_400_and_changes_nothing(as_user, active_episode):
    url = f"{API}/episodes/{active_episode.pk}/close/"
    response = send(as_user("practitioner"), "post", url, closing(active_episode.version, sequel=""))
    assert response.status_code == 400 and "sequel" in response.json()["errors"]
    active_episode.refresh_from_db()
    assert active_episode.status == EpisodeStatus.ACTIVE


def test_goal_outcomes_must_be_keyed_by_goal_id(as_user, active_episode):
    url = f"{API}/episodes/{active_episode.pk}/close/"
    data = closing(active_episode.version, goal_outcomes={"breakfast": "achieved"})
    response = send(as_user("practitioner"), "post", url, data)
    assert response.status_code == 400 and "goal_outcomes" in response.json()["errors"]


def test_closing_a_closed_episode_is_a_409_with_the_allowed_moves(as_user, active_episode, practitioner):
    services.episode_close(
        actor=practitioner, episode=active_episode, version=active_episode.version, sequel="declined"
    )
    active_episode.refresh_from_db()
    url = f"{API}/episodes/{active_episode.pk}/close/"
    response = send(as_user("practitioner"), "post", url, closing(active_episode.version))
    assert response.status_code == 409 and response.json()["allowed_moves"] == []


# Allocations ----------------------------------------------------------------------------------------


def test_a_coordinator_allocates_a_keyworker(as_user, episode, practitioner):
    url = f"{API}/episodes/{episode.pk}/allocations/"
    response = send(as_user("coordinator"), "post", url, {"practitioner": practitioner.pk})
    assert response.status_code == 201 and response.json()["role"] == "keyworker"
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.ACTIVE


def test_a_second_allocation_is_a_409_saying_who_allocated(as_user, active_episode, coordinator, teams):
    nurse = factories.UserFactory(role="lit_practitioner", discipline="nurse", team=teams["newfield-house"])
    url = f"{API}/episodes/{active_episode.pk}/allocations/"
    response = send(as_user("coordinator"), "post", url, {"practitioner": nurse.pk})
    assert response.status_code == 409 and response.json()["allocated_by"] == coordinator.full_name


@pytest.mark.parametrize(
    "practitioner_kwargs",
    [{"team": "tile-hill", "is_active": True}, {"team": "newfield-house", "is_active": False}],
    ids=["another-team", "inactive"],
)
def test_allocating_outside_the_team_or_to_an_inactive_user_is_a_400(as_user, episode, teams, practitioner_kwargs):
    staff = factories.UserFactory(
        role="lit_practitioner",
        discipline="physio",
        team=teams[practitioner_kwargs["team"]],
        is_active=practitioner_kwargs["is_active"],
    )
    url = f"{API}/episodes/{episode.pk}/allocations/"
    response = send(as_user("coordinator"), "post", url, {"practitioner": staff.pk})
    assert response.status_code == 400 and "practitioner" in response.json()["errors"]
    assert not Allocation.objects.exists()


def test_listing_an_episodes_allocations_logs_access_to_the_patient(as_user, active_episode, patient):
    rows = as_user("practitioner").get(f"{API}/episodes/{active_episode.pk}/allocations/").json()["results"]
    assert len(rows) == 1 and AccessLog.objects.get().patient_id == patient.pk


# Contacts -------------------------------------------------------------------------------------------


def test_a_contact_is_recorded_and_stops_the_clock(as_user, active_episode):
    at = (timezone.now() - datetime.timedelta(minutes=30)).replace(microsecond=0)  # JSON keeps milliseconds
    url = f"{API}/episodes/{active_episode.pk}/contacts/"
    response = send(as_user("practitioner"), "post", url, {"at": at, "duration_minutes": 45, "location": "home"})
    assert response.status_code == 201
    active_episode.refresh_from_db()
    assert active_episode.first_contact_at == at


def test_a_contact_raises_the_episode_version_so_an_edit_made_before_it_is_refused(as_user, active_episode):
    client = as_user("practitioner")
    opened_at_version = active_episode.version
    contact = {
        "at": timezone.now() - datetime.timedelta(minutes=30),
        "duration_minutes": 45,
        "location": "home",
        "next_contact_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
    }
    assert send(client, "post", f"{API}/episodes/{active_episode.pk}/contacts/", contact).status_code == 201

    stale = send(
        client, "patch", f"{API}/episodes/{active_episode.pk}/", {"version": opened_at_version, "next_contact_on": None}
    )

    assert stale.status_code == 409
    active_episode.refresh_from_db()
    assert active_episode.next_contact_on == timezone.localdate() + datetime.timedelta(days=3)


def test_a_contact_before_the_episode_started_is_a_400(as_user, active_episode):
    at = active_episode.received_at - HOUR
    url = f"{API}/episodes/{active_episode.pk}/contacts/"
    response = send(as_user("practitioner"), "post", url, {"at": at, "duration_minutes": 30})
    assert response.status_code == 400 and "at" in response.json()["errors"]
    assert not Contact.objects.exists()


# Goals ----------------------------------------------------------------------------------------------


def test_a_goal_is_added_to_an_episode(as_user, active_episode):
    data = {"episode": active_episode.pk, "text": "Walk to the shop"}
    response = send(as_user("practitioner"), "post", f"{API}/goals/", data)
    assert response.status_code == 201 and response.json()["status"] == "open"


def test_a_goal_update_with_a_stale_version_is_a_409(as_user, goal):
    send(as_user("practitioner"), "patch", f"{API}/goals/{goal.pk}/", {"version": 1, "status": "partly"})
    response = send(as_user("practitioner"), "patch", f"{API}/goals/{goal.pk}/", {"version": 1, "text": "Other"})
    assert response.status_code == 409 and response.json()["current"]["status"] == "partly"
    assert Goal.objects.get().text == "Make my own breakfast"


def test_retrieving_a_goal_logs_access_to_its_patient(as_user, goal, patient):
    as_user("practitioner").get(f"{API}/goals/{goal.pk}/")
    assert AccessLog.objects.get().patient_id == patient.pk


# Schema ---------------------------------------------------------------------------------------------


def test_the_schema_describes_the_caseload_endpoints(as_user):
    paths = as_user("practitioner").get("/api/schema/?format=json").json()["paths"]
    assert {
        "/api/v1/patients/",
        "/api/v1/patients/{id}/",
        "/api/v1/episodes/",
        "/api/v1/episodes/{id}/",
        "/api/v1/episodes/{id}/close/",
        "/api/v1/episodes/{episode_pk}/allocations/",
        "/api/v1/episodes/{episode_pk}/contacts/",
        "/api/v1/goals/",
        "/api/v1/goals/{id}/",
    } <= set(paths)
