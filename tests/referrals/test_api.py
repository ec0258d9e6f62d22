"""The referrals REST API: who may raise and decide, ward scoping, the transition table's 409s, the new
patient's field errors, access logging and a fixed query count."""

import datetime
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from caseload.models import Episode, EpisodeStatus, Patient
from discharge import services as discharge_services
from ocit.models import AccessLog
from referrals import services
from referrals.models import Referral, ReferralStatus
from tests import factories

DAY = datetime.timedelta(days=1)
API = "/api/v1"
REFERRAL_ROLES = ["ward_nurse", "practitioner", "coordinator"]
NO_PATIENT_ROLES = ["board_member", "sysadmin"]
DECISIONS = ["accept", "decline", "redirect", "complete"]
# Any logged-in request: session and user read, then the session saved again for the idle time-out (3 in a test).
PER_REQUEST_QUERIES = 2 + 3
REFERRAL_LIST_QUERIES = PER_REQUEST_QUERIES + 2  # referrals with patient, LIT, stay, ward, decider; access log


@pytest.fixture
def as_user(client, request, db):
    def login(fixture_name):
        client.force_login(request.getfixturevalue(fixture_name))
        return client

    return login


def send(client, method, url, data):
    return getattr(client, method)(url, data, content_type="application/json")


def admit(actor, ward, patient):
    return discharge_services.spell_admit(actor=actor, patient=patient, ward=ward, admitted_at=timezone.now() - 3 * DAY)


def ward_referral(actor, spell, **overrides):
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
def spell(patient, ward_a, ward_nurse):
    return admit(ward_nurse, ward_a, patient)


@pytest.fixture
def referral(spell, ward_nurse):
    return ward_referral(ward_nurse, spell)


@pytest.fixture
def elsewhere(teams, ward_b, coordinator):
    """Another ward's referral: ward staff of ward A must not know it exists."""
    spell = admit(coordinator, ward_b, factories.PatientFactory(team=teams["tile-hill"]))
    return ward_referral(coordinator, spell, referrer_name="Jo Nurse")


def url(referral, action=""):
    return f"{API}/referrals/{referral.pk}/" + (f"{action}/" if action else "")


def new_referral(**overrides):
    return {
        "source": "gp",
        "referrer_name": "Dr Patel",
        "referrer_role": "GP",
        "reason": "Two falls this week, struggling with stairs",
        "requested_service": "step_up_reablement",
        "urgency": "routine",
        **overrides,
    }


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


# Role scoping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/referrals/", "/referrals/{referral}/"])
@pytest.mark.parametrize("role", REFERRAL_ROLES)
def test_ward_and_lit_staff_read_referrals(as_user, referral, role, path):
    assert as_user(role).get(API + path.format(referral=referral.pk)).status_code == 200


@pytest.mark.parametrize("path", ["/referrals/", "/referrals/{referral}/"])
@pytest.mark.parametrize("role", NO_PATIENT_ROLES)
def test_the_programme_board_and_administrators_cannot_read_referrals(as_user, referral, role, path):
    assert as_user(role).get(API + path.format(referral=referral.pk)).status_code == 403


@pytest.mark.parametrize("action", [*DECISIONS, "withdraw"])
@pytest.mark.parametrize("role", NO_PATIENT_ROLES)
def test_the_programme_board_and_administrators_cannot_decide_or_withdraw(as_user, referral, role, action):
    data = {"decision_reason": "Because", "redirected_to": "District nursing"}
    assert send(as_user(role), "post", url(referral, action), data).status_code == 403
    assert Referral.objects.get().status == ReferralStatus.RECEIVED


@pytest.mark.parametrize("role", NO_PATIENT_ROLES)
def test_the_programme_board_and_administrators_cannot_raise_referrals(as_user, patient, role):
    response = send(as_user(role), "post", f"{API}/referrals/", new_referral(patient=patient.pk))
    assert response.status_code == 403 and not Referral.objects.exists()


@pytest.mark.parametrize("action", DECISIONS)
def test_ward_staff_cannot_decide_even_on_their_own_wards_referral(as_user, referral, action):
    data = {"decision_reason": "Because", "redirected_to": "District nursing"}
    assert send(as_user("ward_nurse"), "post", url(referral, action), data).status_code == 403
    assert Referral.objects.get().status == ReferralStatus.RECEIVED


def test_ward_staff_withdraw_their_own_wards_referral(as_user, referral):
    response = send(as_user("ward_nurse"), "post", url(referral, "withdraw"), {"decision_reason": "Patient died"})
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn" and response.json()["decision_reason"] == "Patient died"


@pytest.mark.parametrize("action", ["", "withdraw"])
def test_ward_staff_get_a_404_for_another_wards_referral(as_user, referral, elsewhere, action):
    method = "post" if action else "get"
    response = send(as_user("ward_nurse"), method, url(elsewhere, action), {"decision_reason": "Patient died"})
    assert response.status_code == 404
    assert Referral.objects.get(pk=elsewhere.pk).status == ReferralStatus.RECEIVED
    assert not AccessLog.objects.exists()


def test_ward_staff_see_only_their_own_wards_referrals_in_lists_and_counts(as_user, referral, elsewhere):
    client = as_user("ward_nurse")
    body = client.get(f"{API}/referrals/").json()
    assert len(body["results"]) == 1 and [row["id"] for row in body["results"]] == [referral.pk]
    assert len(client.get(f"{API}/referrals/?ward=W22").json()["results"]) == 0
    assert len(client.get(f"{API}/referrals/?lit=tile-hill").json()["results"]) == 0
    assert len(client.get(f"{API}/referrals/?status=received").json()["results"]) == 1


def test_ward_staff_cannot_refer_from_another_wards_stay(as_user, spell, ward_b, coordinator, teams):
    other_spell = admit(coordinator, ward_b, factories.PatientFactory(team=teams["tile-hill"]))
    client = as_user("ward_nurse")
    response = send(client, "post", f"{API}/referrals/", new_referral(source="ward", spell=other_spell.pk))
    missing = send(client, "post", f"{API}/referrals/", new_referral(source="ward", spell=other_spell.pk + 1000))
    # The same answer as for a stay that does not exist: nothing leaks.
    as_if_missing = missing.json()["errors"]["spell"][0].replace(str(other_spell.pk + 1000), str(other_spell.pk))
    assert response.status_code == 400 and response.json()["errors"] == {"spell": [as_if_missing]}
    assert not Referral.objects.exists()


def test_lit_staff_see_every_referral(as_user, referral, elsewhere):
    assert len(as_user("practitioner").get(f"{API}/referrals/").json()["results"]) == 2


# Reading --------------------------------------------------------------------------------------------


def test_retrieving_a_referral_writes_an_access_log_row(as_user, referral, patient):
    as_user("practitioner").get(url(referral))
    row = AccessLog.objects.get()
    assert (row.patient_id, row.object_type, row.object_id) == (patient.pk, "referrals.referral", str(referral.pk))


def test_a_referral_shows_its_decision_clock_and_allowed_moves(as_user, referral):
    row = as_user("ward_nurse").get(url(referral)).json()
    assert row["ward"] == "W10" and row["lit"] == "newfield-house" and row["overdue"] is False
    assert 235 <= row["minutes_left_to_decide"] <= 240
    assert row["allowed_moves"] == ["accepted", "declined", "redirected", "withdrawn"]


def test_the_referral_list_filters_overdue_decisions(as_user, referral, elsewhere):
    Referral.objects.filter(pk=elsewhere.pk).update(decision_due_by=timezone.now() - DAY)
    client = as_user("coordinator")
    assert [row["id"] for row in client.get(f"{API}/referrals/?overdue=true").json()["results"]] == [elsewhere.pk]
    assert [row["id"] for row in client.get(f"{API}/referrals/?overdue=false").json()["results"]] == [referral.pk]
    assert [row["id"] for row in client.get(f"{API}/referrals/?lit=tile-hill").json()["results"]] == [elsewhere.pk]
    newest_first = [elsewhere.pk, referral.pk]
    assert [row["id"] for row in client.get(f"{API}/referrals/?source=ward&urgency=high").json()["results"]] == (
        newest_first
    )


def refer_many(count, ward, nurse, coordinator, team):
    for number in range(count):
        referral = ward_referral(nurse, admit(nurse, ward, factories.PatientFactory(team=team)))
        if number % 2:
            services.referral_accept(actor=coordinator, referral=referral)


@pytest.mark.parametrize("role", ["ward_nurse", "coordinator"])
def test_the_referral_list_costs_the_same_queries_for_3_and_20_referrals(
    as_user, ward_a, ward_nurse, coordinator, teams, role, django_assert_num_queries
):
    client = as_user(role)
    refer_many(3, ward_a, ward_nurse, coordinator, teams["newfield-house"])
    with django_assert_num_queries(REFERRAL_LIST_QUERIES):
        assert len(client.get(f"{API}/referrals/").json()["results"]) == 3
    refer_many(17, ward_a, ward_nurse, coordinator, teams["opal-centre"])
    with django_assert_num_queries(REFERRAL_LIST_QUERIES):
        assert len(client.get(f"{API}/referrals/").json()["results"]) == 20


# Raising a referral ---------------------------------------------------------------------------------


def test_ward_staff_refer_from_the_stay_without_retyping_the_patient(as_user, spell, patient):
    data = new_referral(source="ward", spell=spell.pk, requested_service="step_down_reablement", urgency="high")
    response = send(as_user("ward_nurse"), "post", f"{API}/referrals/", data)
    assert response.status_code == 201
    body = response.json()
    assert body["patient"] == patient.pk and body["spell"] == spell.pk and body["status"] == "received"


def test_a_second_open_referral_on_a_stay_is_a_409(as_user, referral, spell):
    response = send(as_user("ward_nurse"), "post", f"{API}/referrals/", new_referral(source="ward", spell=spell.pk))
    assert response.status_code == 409 and "already has an open referral" in response.json()["detail"]
    assert Referral.objects.count() == 1


def test_lit_staff_refer_a_patient_on_record(as_user, patient):
    response = send(as_user("coordinator"), "post", f"{API}/referrals/", new_referral(patient=patient.pk))
    assert response.status_code == 201 and response.json()["spell"] is None


def test_lit_staff_refer_a_new_patient(as_user, teams):
    response = send(as_user("coordinator"), "post", f"{API}/referrals/", new_referral(new_patient=new_patient()))
    assert response.status_code == 201
    patient = Patient.objects.get(pk=response.json()["patient"])
    assert patient.nhs_number == "9990000018" and patient.team.code == "opal-centre"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"nhs_number": "999 000 0019"}, "nhs_number"), ({"postcode": "CV99 ZZZZ"}, "postcode")],
)
def test_a_new_patient_with_bad_details_is_a_400_and_nothing_is_saved(as_user, teams, overrides, field):
    data = new_referral(new_patient=new_patient(**overrides))
    response = send(as_user("coordinator"), "post", f"{API}/referrals/", data)
    assert response.status_code == 400 and field in response.json()["errors"]["new_patient"]
    assert not Patient.objects.exists() and not Referral.objects.exists()


def test_a_new_patient_whose_referral_is_refused_is_not_saved(as_user, teams):
    data = new_referral(source="ward", new_patient=new_patient())
    response = send(as_user("coordinator"), "post", f"{API}/referrals/", data)
    assert response.status_code == 400 and "spell" in response.json()["errors"]
    assert not Patient.objects.exists() and not Referral.objects.exists()


def test_a_likely_duplicate_new_patient_is_a_409_listing_the_candidates(as_user, patient):
    details = new_patient(family_name=patient.family_name, date_of_birth=str(patient.date_of_birth))
    response = send(as_user("coordinator"), "post", f"{API}/referrals/", new_referral(new_patient=details))
    assert response.status_code == 409
    assert [candidate["id"] for candidate in response.json()["candidates"]] == [patient.pk]
    assert Patient.objects.count() == 1 and not Referral.objects.exists()


def test_ward_staff_cannot_add_a_new_patient(as_user, teams):
    response = send(as_user("ward_nurse"), "post", f"{API}/referrals/", new_referral(new_patient=new_patient()))
    assert response.status_code == 403 and not Patient.objects.exists()


def test_a_patient_without_an_nhs_number_cannot_be_referred(as_user, patient):
    Patient.objects.filter(pk=patient.pk).update(nhs_number=None, nhs_number_unknown_reason="Unconscious")
    response = send(as_user("coordinator"), "post", f"{API}/referrals/", new_referral(patient=patient.pk))
    assert response.status_code == 400 and "NHS number" in response.json()["errors"]["patient"][0]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({}, "patient"),
        ({"source": "ward"}, "spell"),
        ({"urgency": "whenever"}, "urgency"),
        ({"reason": ""}, "reason"),
        ({"received_at": (timezone.now() + DAY).isoformat()}, "received_at"),
    ],
    ids=["no-patient", "ward-without-stay", "unknown-urgency", "no-reason", "received-in-the-future"],
)
def test_bad_referrals_are_a_400_naming_the_field(as_user, patient, overrides, field):
    data = new_referral(**({"patient": patient.pk} if overrides else {}), **overrides)
    response = send(as_user("coordinator"), "post", f"{API}/referrals/", data)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not Referral.objects.exists()


# Decisions ------------------------------------------------------------------------------------------


def test_accepting_opens_the_caseload_episode(as_user, referral, patient, coordinator):
    response = send(as_user("coordinator"), "post", url(referral, "accept"), {})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted" and body["decided_by_name"] == coordinator.full_name
    episode = Episode.objects.get(pk=body["episode"])
    assert (episode.patient, episode.service, episode.status) == (
        patient,
        "step_down_reablement",
        EpisodeStatus.AWAITING_ALLOCATION,
    )


def test_a_decision_on_a_decided_referral_is_a_409_naming_who_decided(as_user, referral, coordinator):
    services.referral_accept(actor=coordinator, referral=referral)
    response = send(as_user("practitioner"), "post", url(referral, "decline"), {"decision_reason": "No capacity"})
    assert response.status_code == 409
    body = response.json()
    assert body["allowed_moves"] == ["withdrawn", "completed"] and body["decided_by"] == coordinator.full_name
    assert body["status"] == 409 and body["current_status"] == "accepted"  # the problem's status is the HTTP one
    assert coordinator.full_name in body["detail"]
    assert Referral.objects.get().status == ReferralStatus.ACCEPTED


def test_completing_an_undecided_referral_is_a_409_with_the_allowed_moves(as_user, referral):
    response = send(as_user("coordinator"), "post", url(referral, "complete"), {})
    assert response.status_code == 409
    assert response.json()["allowed_moves"] == ["accepted", "declined", "redirected", "withdrawn"]


@pytest.mark.parametrize(
    ("action", "field"),
    [("decline", "decision_reason"), ("redirect", "redirected_to"), ("withdraw", "decision_reason")],
)
def test_a_move_without_its_reason_is_a_400_naming_the_field(as_user, referral, action, field):
    response = send(as_user("coordinator"), "post", url(referral, action), {field: "  "})
    assert response.status_code == 400 and field in response.json()["errors"]
    assert Referral.objects.get().status == ReferralStatus.RECEIVED


def test_declining_records_where_the_patient_went_instead(as_user, referral):
    data = {"decision_reason": "Health needs only", "outcome": "District nurses"}
    response = send(as_user("practitioner"), "post", url(referral, "decline"), data)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outcome"]) == ("declined", "District nurses")
    assert response.json()["allowed_moves"] == [] and not Episode.objects.exists()


def test_redirecting_records_where_to(as_user, referral):
    response = send(as_user("practitioner"), "post", url(referral, "redirect"), {"redirected_to": "Falls service"})
    assert response.status_code == 200
    assert response.json()["redirected_to"] == "Falls service"
    assert response.json()["outcome"] == "Redirected to Falls service"


def test_an_accepted_referral_is_completed(as_user, referral, coordinator):
    services.referral_accept(actor=coordinator, referral=referral)
    response = send(as_user("practitioner"), "post", url(referral, "complete"), {"outcome": "Home, independent"})
    assert response.status_code == 200 and response.json()["status"] == "completed"


def test_a_pathway_1_discharge_completes_the_referral_with_the_step_down_episode(as_user, referral, coordinator):
    services.referral_accept(actor=coordinator, referral=referral)
    data = {
        "version": referral.spell.version,
        "discharged_at": timezone.now().isoformat(),
        "destination": "usual_residence",
        "pathway": 1,
    }
    response = send(as_user("coordinator"), "post", f"{API}/spells/{referral.spell_id}/discharge/", data)
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.episode_id == response.json()["episode"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_accepting_at_once_through_the_api_exactly_one_wins(teams):
    team = teams["newfield-house"]
    ward = factories.WardFactory(code="W77")
    nurse = factories.UserFactory(role="ward_staff")
    nurse.wards.add(ward)
    deciders = [factories.UserFactory(role="lit_coordinator", discipline="coordinator", team=team) for _ in "ab"]
    referral = ward_referral(nurse, admit(nurse, ward, factories.PatientFactory(team=team)))
    clients = []
    for user in deciders:
        clients.append(Client())
        clients[-1].force_login(user)
    start = threading.Barrier(2)
    responses = {}

    def accept(user, client):
        start.wait()
        try:
            responses[user.full_name] = client.post(url(referral, "accept"), {}, content_type="application/json")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=pair) for pair in zip(deciders, clients, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(response.status_code for response in responses.values())
    assert codes == [200, 409]
    winner = next(name for name, response in responses.items() if response.status_code == 200)
    loser = next(response for response in responses.values() if response.status_code == 409)
    assert loser.json()["decided_by"] == winner and winner in loser.json()["detail"]
    assert Episode.objects.filter(patient=referral.patient).count() == 1


# Schema ---------------------------------------------------------------------------------------------


def test_the_schema_describes_the_referral_endpoints(as_user):
    paths = as_user("coordinator").get("/api/schema/?format=json").json()["paths"]
    assert {
        "/api/v1/referrals/",
        "/api/v1/referrals/{id}/",
        *(f"/api/v1/referrals/{{id}}/{action}/" for action in [*DECISIONS, "withdraw"]),
    } <= set(paths)
