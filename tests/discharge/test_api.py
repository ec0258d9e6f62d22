"""The hospital side's REST API: ward scoping, field errors, conflicts, access logging and a fixed query count."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from caseload.models import Episode
from discharge import services
from discharge.models import Delay, DelayReason, NctrPeriod, Spell
from ocit.models import AccessLog
from tests import factories

DAY = datetime.timedelta(days=1)
API = "/api/v1"
HOSPITAL_ROLES = ["ward_nurse", "practitioner", "coordinator"]
NO_PATIENT_ROLES = ["board_member", "sysadmin"]
# Any logged-in request: session and user read, then the session saved again for the idle time-out (3 in a test).
PER_REQUEST_QUERIES = 2 + 3
SPELL_LIST_QUERIES = PER_REQUEST_QUERIES + 2  # spells with patient, LIT, ward and discharge status; access log


@pytest.fixture
def as_user(client, request, db):
    def login(fixture_name):
        client.force_login(request.getfixturevalue(fixture_name))
        return client

    return login


def send(client, method, url, data):
    return getattr(client, method)(url, data, content_type="application/json")


def today():
    return timezone.localdate()


@pytest.fixture
def spell(patient, ward_a, ward_nurse):
    return services.spell_admit(actor=ward_nurse, patient=patient, ward=ward_a, admitted_at=timezone.now() - 6 * DAY)


@pytest.fixture
def elsewhere(teams, ward_b, coordinator):
    """Another ward's patient: ward staff of ward A must not know it exists."""
    patient = factories.PatientFactory(team=teams["tile-hill"])
    return services.spell_admit(actor=coordinator, patient=patient, ward=ward_b, admitted_at=timezone.now() - 2 * DAY)


@pytest.fixture
def nctr(spell, ward_nurse):
    return services.nctr_start(actor=ward_nurse, spell=spell, started_on=today() - 2 * DAY)


def spell_url(spell, suffix=""):
    return f"{API}/spells/{spell.pk}/{suffix}"


# Role scoping ---------------------------------------------------------------------------------------

READS = [
    "/wards/",
    "/wards/{ward}/",
    "/spells/",
    "/spells/{spell}/",
    "/spells/{spell}/nctr-periods/",
    "/spells/{spell}/delays/",
]


def url_for(path, spell, period=None):
    return API + path.format(ward=spell.ward_id, spell=spell.pk, period=period.pk if period else 0)


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("role", HOSPITAL_ROLES)
def test_ward_and_lit_staff_read_every_hospital_endpoint(as_user, spell, role, path):
    assert as_user(role).get(url_for(path, spell)).status_code == 200


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("role", NO_PATIENT_ROLES)
def test_the_programme_board_and_administrators_are_refused_every_hospital_endpoint(as_user, spell, role, path):
    assert as_user(role).get(url_for(path, spell)).status_code == 403


WRITES = [
    ("post", "/spells/"),
    ("patch", "/spells/{spell}/"),
    ("post", "/spells/{spell}/transfer/"),
    ("post", "/spells/{spell}/nctr-periods/"),
    ("post", "/spells/{spell}/nctr-periods/{period}/end/"),
    ("post", "/spells/{spell}/delays/"),
    ("post", "/spells/{spell}/discharge/"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("role", NO_PATIENT_ROLES)
def test_the_programme_board_and_administrators_cannot_write(as_user, spell, nctr, role, method, path):
    version = Spell.objects.get().version
    response = send(as_user(role), method, url_for(path, spell, nctr), {"version": version})
    assert response.status_code == 403
    assert Spell.objects.get().version == version and NctrPeriod.objects.get().ended_on is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", path) for path in READS if "{spell}" in path] + [(method, path) for method, path in WRITES[1:]],
)
def test_ward_staff_get_a_404_for_another_wards_patient(as_user, spell, elsewhere, coordinator, method, path):
    period = services.nctr_start(actor=coordinator, spell=elsewhere, started_on=today() - DAY)
    data = {"version": elsewhere.version, "ward": "W10", "started_on": str(today()), "ended_on": str(today())}
    response = send(as_user("ward_nurse"), method, url_for(path, elsewhere, period), data)
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.ward.code == "W22" and elsewhere.discharged_at is None
    assert not AccessLog.objects.exists()


def test_ward_staff_see_only_their_own_wards_patients_in_lists_and_counts(as_user, spell, elsewhere):
    client = as_user("ward_nurse")
    body = client.get(f"{API}/spells/").json()
    assert len(body["results"]) == 1 and [row["id"] for row in body["results"]] == [spell.pk]
    assert len(client.get(f"{API}/spells/?ward=W22").json()["results"]) == 0
    assert len(client.get(f"{API}/spells/?lit=tile-hill").json()["results"]) == 0
    assert [row["code"] for row in client.get(f"{API}/wards/").json()["results"]] == ["W10"]
    assert client.get(f"{API}/wards/{elsewhere.ward_id}/").status_code == 404


def test_lit_staff_see_every_wards_patients(as_user, spell, elsewhere):
    assert len(as_user("practitioner").get(f"{API}/spells/").json()["results"]) == 2


# Reading spells -------------------------------------------------------------------------------------


def test_retrieving_a_spell_writes_an_access_log_row(as_user, spell, patient):
    as_user("ward_nurse").get(spell_url(spell))
    row = AccessLog.objects.get()
    assert (row.patient_id, row.object_type, row.object_id) == (patient.pk, "discharge.spell", str(spell.pk))


def test_listing_a_spells_nctr_periods_logs_access_to_the_patient(as_user, nctr, patient):
    rows = as_user("practitioner").get(spell_url(nctr.spell, "nctr-periods/")).json()["results"]
    assert len(rows) == 1 and AccessLog.objects.get().patient_id == patient.pk


def test_a_spell_shows_what_the_ward_board_shows(as_user, nctr, ward_nurse):
    services.delay_set(actor=ward_nurse, spell=nctr.spell, reason=DelayReason.objects.get(code="housing"))
    row = as_user("ward_nurse").get(spell_url(nctr.spell)).json()
    assert row["ward"] == "W10" and row["lit"] == "newfield-house" and row["length_of_stay_days"] == 6
    assert row["discharge_ready_on"] == str(today() - 2 * DAY) and row["no_criteria_to_reside"] is True
    assert row["days_since_discharge_ready"] == 2 and row["delay_reason"] == "Housing"


def test_the_spell_list_filters_by_nctr_now_and_pathway(as_user, spell, elsewhere, coordinator, ward_nurse):
    services.nctr_start(actor=ward_nurse, spell=spell, started_on=today())
    services.spell_update(actor=coordinator, spell=elsewhere, version=elsewhere.version, pathway=1)
    client = as_user("coordinator")
    assert [row["id"] for row in client.get(f"{API}/spells/?nctr=true").json()["results"]] == [spell.pk]
    assert [row["id"] for row in client.get(f"{API}/spells/?nctr=false").json()["results"]] == [elsewhere.pk]
    assert [row["id"] for row in client.get(f"{API}/spells/?pathway=1").json()["results"]] == [elsewhere.pk]
    assert [row["id"] for row in client.get(f"{API}/spells/?ward=W10&open=true").json()["results"]] == [spell.pk]


def admit_many(count, ward, actor, team):
    for number in range(count):
        spell = services.spell_admit(
            actor=actor, patient=factories.PatientFactory(team=team), ward=ward, admitted_at=timezone.now() - 5 * DAY
        )
        if number % 2:
            services.nctr_start(actor=actor, spell=spell, started_on=today() - DAY)
            services.delay_set(actor=actor, spell=spell, reason=DelayReason.objects.get(code="housing"))


@pytest.mark.parametrize("role", ["ward_nurse", "coordinator"])
def test_the_spell_list_costs_the_same_queries_for_3_and_20_spells(
    as_user, ward_a, ward_nurse, teams, role, django_assert_num_queries
):
    client = as_user(role)
    admit_many(3, ward_a, ward_nurse, teams["newfield-house"])
    with django_assert_num_queries(SPELL_LIST_QUERIES):
        assert len(client.get(f"{API}/spells/").json()["results"]) == 3
    admit_many(17, ward_a, ward_nurse, teams["opal-centre"])
    with django_assert_num_queries(SPELL_LIST_QUERIES):
        assert len(client.get(f"{API}/spells/").json()["results"]) == 20


# Admission ------------------------------------------------------------------------------------------


def admission(**overrides):
    return {"ward": "W10", "admitted_at": (timezone.now() - DAY).isoformat(), **overrides}


def test_ward_staff_admit_a_patient_by_nhs_number_typed_with_spaces(as_user, patient, ward_a):
    number = f"{patient.nhs_number[:3]} {patient.nhs_number[3:6]} {patient.nhs_number[6:]}"
    response = send(as_user("ward_nurse"), "post", f"{API}/spells/", admission(nhs_number=number))
    assert response.status_code == 201
    assert response.json()["patient"] == patient.pk and response.json()["ward"] == "W10"
    assert Spell.objects.get().ward_stays.get().ward == ward_a


def test_lit_staff_admit_a_patient_by_id(as_user, patient, ward_b):
    response = send(as_user("coordinator"), "post", f"{API}/spells/", admission(patient=patient.pk, ward="W22"))
    assert response.status_code == 201 and response.json()["ward"] == "W22"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"nhs_number": "999 000 0019"}, "nhs_number"),
        ({"nhs_number": "999 000 0018"}, "nhs_number"),
        ({"ward": "W22"}, "ward"),
        ({"admitted_at": (timezone.now() + 3 * DAY).isoformat()}, "admitted_at"),
        ({"expected_discharge_on": str(timezone.localdate() - 30 * DAY)}, "expected_discharge_on"),
        ({"admitted_at": "yesterday"}, "admitted_at"),
    ],
    ids=["invalid-nhs-number", "unknown-nhs-number", "another-ward", "future", "edd-before-admission", "not-a-time"],
)
def test_bad_admissions_are_a_400_naming_the_field(as_user, patient, ward_b, overrides, field):
    data = admission(**{"nhs_number": patient.nhs_number, **overrides})
    response = send(as_user("ward_nurse"), "post", f"{API}/spells/", data)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not Spell.objects.exists()


def test_an_admission_needs_the_patient(as_user, ward_a):
    response = send(as_user("ward_nurse"), "post", f"{API}/spells/", admission())
    assert response.status_code == 400 and "patient" in response.json()["errors"]


def test_a_second_open_spell_is_a_409(as_user, spell, patient):
    response = send(as_user("ward_nurse"), "post", f"{API}/spells/", admission(nhs_number=patient.nhs_number))
    assert response.status_code == 409 and "already in hospital" in response.json()["detail"]
    assert Spell.objects.count() == 1


def test_the_refusal_of_an_admission_names_nobody(as_user, patient, ward_b, coordinator):
    """A patient on another ward: the ward nurse who types their NHS number learns nothing about them."""
    services.spell_admit(actor=coordinator, patient=patient, ward=ward_b, admitted_at=timezone.now() - DAY)
    response = send(as_user("ward_nurse"), "post", f"{API}/spells/", admission(nhs_number=patient.nhs_number))
    body = response.content.decode()
    assert response.status_code == 409
    assert patient.family_name.upper() not in body.upper() and patient.given_name not in body and "W22" not in body


def test_ward_staff_admit_only_to_their_own_wards_whatever_the_path(ward_nurse, patient, ward_b):
    with pytest.raises(ValidationError) as refused:
        services.spell_admit(actor=ward_nurse, patient=patient, ward=ward_b, admitted_at=timezone.now())
    assert "ward" in refused.value.message_dict
    assert not Spell.objects.exists()


# Changing a spell -----------------------------------------------------------------------------------


def test_the_ward_round_sets_the_edd_and_clinical_criteria(as_user, spell):
    data = {"version": spell.version, "expected_discharge_on": str(today() + 2 * DAY), "clinical_criteria": "Mobile"}
    response = send(as_user("ward_nurse"), "patch", spell_url(spell), data)
    assert response.status_code == 200
    assert response.json()["expected_discharge_on"] == str(today() + 2 * DAY)
    assert response.json()["version"] == spell.version + 1


def test_the_lit_records_the_pathway_decided_on(as_user, spell):
    response = send(as_user("practitioner"), "patch", spell_url(spell), {"version": spell.version, "pathway": 1})
    assert response.status_code == 200 and response.json()["pathway"] == 1


def test_an_edd_before_admission_is_a_400(as_user, spell):
    data = {"version": spell.version, "expected_discharge_on": str(today() - 30 * DAY)}
    response = send(as_user("ward_nurse"), "patch", spell_url(spell), data)
    assert response.status_code == 400 and "expected_discharge_on" in response.json()["errors"]
    spell.refresh_from_db()
    assert spell.expected_discharge_on is None and spell.version == 1


def test_changing_a_spell_needs_the_version(as_user, spell):
    response = send(as_user("ward_nurse"), "patch", spell_url(spell), {"clinical_criteria": "Mobile"})
    assert response.status_code == 400 and "version" in response.json()["errors"]


def test_a_stale_spell_version_is_a_409_with_the_current_values(as_user, spell, coordinator):
    services.spell_update(actor=coordinator, spell=spell, version=1, clinical_criteria="Walks to the toilet")
    response = send(as_user("ward_nurse"), "patch", spell_url(spell), {"version": 1, "clinical_criteria": "Other"})
    assert response.status_code == 409
    assert response.json()["current"]["clinical_criteria"] == "Walks to the toilet" and response.json()["version"] == 2


def test_a_transfer_moves_the_patient_to_another_ward(as_user, spell, ward_b):
    response = send(as_user("coordinator"), "post", spell_url(spell, "transfer/"), {"ward": "W22"})
    assert response.status_code == 200
    answer = response.json()
    assert (answer["ward"], answer["ward_name"]) == ("W22", ward_b.name)
    assert (answer["patient_name"], answer["nhs_number"], answer["lit"]) == (
        spell.patient.full_name,
        spell.patient.nhs_number,
        spell.patient.team.code,
    )
    assert [stay.ward.code for stay in spell.ward_stays.all()] == ["W10", "W22"]


def test_ward_staff_who_transfer_a_patient_away_no_longer_see_them(as_user, spell, ward_b):
    client = as_user("ward_nurse")
    response = send(client, "post", spell_url(spell, "transfer/"), {"ward": "W22"})
    assert response.status_code == 200 and response.json()["ward"] == "W22"
    assert client.get(spell_url(spell)).status_code == 404
    assert len(client.get(f"{API}/spells/").json()["results"]) == 0


def test_a_transfer_to_the_same_ward_is_a_400(as_user, spell):
    response = send(as_user("ward_nurse"), "post", spell_url(spell, "transfer/"), {"ward": "W10"})
    assert response.status_code == 400 and "ward" in response.json()["errors"]


# Criteria to reside and delays ----------------------------------------------------------------------


def test_recording_no_criteria_to_reside_sets_the_discharge_ready_date(as_user, spell):
    client = as_user("ward_nurse")
    response = send(client, "post", spell_url(spell, "nctr-periods/"), {"started_on": str(today() - DAY)})
    assert response.status_code == 201
    row = client.get(spell_url(spell)).json()
    assert row["discharge_ready_on"] == str(today() - DAY) and row["no_criteria_to_reside"] is True


@pytest.mark.parametrize("days", [-10, 2], ids=["before-admission", "in-the-future"])
def test_a_discharge_ready_date_before_admission_or_in_the_future_is_a_400(as_user, spell, days):
    data = {"started_on": str(today() + days * DAY)}
    response = send(as_user("ward_nurse"), "post", spell_url(spell, "nctr-periods/"), data)
    assert response.status_code == 400 and "started_on" in response.json()["errors"]
    assert not NctrPeriod.objects.exists()


def test_a_second_open_nctr_period_is_a_409(as_user, nctr):
    response = send(as_user("ward_nurse"), "post", spell_url(nctr.spell, "nctr-periods/"), {"started_on": str(today())})
    assert response.status_code == 409 and NctrPeriod.objects.count() == 1


def test_meeting_the_criteria_again_ends_the_period_and_its_delay(as_user, nctr, ward_nurse):
    services.delay_set(actor=ward_nurse, spell=nctr.spell, reason=DelayReason.objects.get(code="housing"))
    client = as_user("practitioner")
    response = send(client, "post", spell_url(nctr.spell, f"nctr-periods/{nctr.pk}/end/"), {"ended_on": str(today())})
    assert response.status_code == 200 and response.json()["ended_on"] == str(today())
    assert Delay.objects.get().ended_on == today()
    assert client.get(spell_url(nctr.spell)).json()["no_criteria_to_reside"] is False


def test_ending_a_period_before_it_started_is_a_400(as_user, nctr):
    data = {"ended_on": str(nctr.started_on - DAY)}
    response = send(as_user("ward_nurse"), "post", spell_url(nctr.spell, f"nctr-periods/{nctr.pk}/end/"), data)
    assert response.status_code == 400 and "ended_on" in response.json()["errors"]
    assert NctrPeriod.objects.get().ended_on is None


def test_ending_an_ended_period_is_a_409(as_user, nctr, ward_nurse):
    services.nctr_end(actor=ward_nurse, spell=nctr.spell, ended_on=today() - DAY)
    services.nctr_start(actor=ward_nurse, spell=nctr.spell, started_on=today())
    url = spell_url(nctr.spell, f"nctr-periods/{nctr.pk}/end/")
    response = send(as_user("ward_nurse"), "post", url, {"ended_on": str(today())})
    assert response.status_code == 409
    assert NctrPeriod.objects.filter(ended_on=None).count() == 1


def test_a_delay_reason_is_recorded(as_user, nctr):
    response = send(as_user("ward_nurse"), "post", spell_url(nctr.spell, "delays/"), {"reason": "housing"})
    assert response.status_code == 201 and response.json()["reason_name"] == "Housing"


@pytest.mark.parametrize(("reason", "field"), [("housing", "reason"), ("no-such-reason", "reason")])
def test_a_delay_without_a_discharge_ready_date_or_a_known_reason_is_a_400(as_user, spell, reason, field):
    response = send(as_user("ward_nurse"), "post", spell_url(spell, "delays/"), {"reason": reason})
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not Delay.objects.exists()


def test_the_delay_list_costs_the_same_queries_for_3_and_20_reasons(
    as_user, nctr, ward_nurse, django_assert_num_queries
):
    reasons = itertools.cycle(DelayReason.objects.all()[:2])
    client = as_user("ward_nurse")

    def add(count):
        for _ in range(count):
            services.delay_set(actor=ward_nurse, spell=nctr.spell, reason=next(reasons))

    url = spell_url(nctr.spell, "delays/")
    queries = PER_REQUEST_QUERIES + 3  # the spell, the access-log row, delays with reason and recorder
    add(3)
    with django_assert_num_queries(queries):
        assert len(client.get(url).json()["results"]) == 3
    add(17)
    with django_assert_num_queries(queries):
        assert len(client.get(url).json()["results"]) == 20


# Discharge ------------------------------------------------------------------------------------------


def discharge(spell, **overrides):
    return {
        "version": spell.version,
        "discharged_at": timezone.now().isoformat(),
        "destination": "usual_residence",
        "pathway": 0,
        **overrides,
    }


def test_a_pathway_1_discharge_opens_the_step_down_episode(as_user, spell, patient):
    response = send(as_user("coordinator"), "post", spell_url(spell, "discharge/"), discharge(spell, pathway=1))
    assert response.status_code == 200
    body = response.json()
    episode = Episode.objects.get(pk=body["episode"])
    assert (episode.patient, episode.service, episode.team) == (patient, "step_down_reablement", patient.team)
    assert body["spell"]["discharged_at"] is not None and body["spell"]["pathway"] == 1


def test_a_pathway_0_discharge_by_ward_staff_opens_no_episode(as_user, nctr):
    response = send(as_user("ward_nurse"), "post", spell_url(nctr.spell, "discharge/"), discharge(nctr.spell))
    assert response.status_code == 200 and response.json()["episode"] is None
    assert response.json()["spell"]["delay_days_at_discharge"] == 2
    assert not Episode.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"discharged_at": (timezone.now() - 30 * DAY).isoformat()}, "discharged_at"),
        ({"discharged_at": (timezone.now() + DAY).isoformat()}, "discharged_at"),
        ({"pathway": 3}, "destination"),
        ({"pathway": 7}, "pathway"),
        ({"destination": ""}, "destination"),
        ({"version": None}, "version"),
    ],
    ids=["before-admission", "in-the-future", "p3-not-a-care-home", "no-such-pathway", "no-destination", "no-version"],
)
def test_bad_discharges_are_a_400_and_change_nothing(as_user, nctr, overrides, field):
    data = {key: value for key, value in discharge(nctr.spell, **overrides).items() if value is not None}
    response = send(as_user("coordinator"), "post", spell_url(nctr.spell, "discharge/"), data)
    assert response.status_code == 400 and field in response.json()["errors"]
    spell = Spell.objects.get()
    assert spell.discharged_at is None and spell.version == nctr.spell.version
    assert NctrPeriod.objects.get().ended_on is None and not spell.ward_stays.get().ended_at


def test_a_discharge_before_the_last_transfer_is_a_400(as_user, spell, ward_b):
    client = as_user("coordinator")
    assert send(client, "post", spell_url(spell, "transfer/"), {"ward": ward_b.code}).status_code == 200
    spell.refresh_from_db()
    before_the_move = (timezone.now() - DAY).isoformat()
    response = send(client, "post", spell_url(spell, "discharge/"), discharge(spell, discharged_at=before_the_move))
    assert response.status_code == 400 and "before the patient arrived" in response.json()["errors"]["discharged_at"][0]
    assert Spell.objects.get().discharged_at is None and spell.ward_stays.filter(ended_at=None).count() == 1


def test_a_discharge_with_a_stale_version_is_a_409(as_user, spell, coordinator):
    services.spell_update(actor=coordinator, spell=spell, version=1, clinical_criteria="Mobile")
    response = send(as_user("ward_nurse"), "post", spell_url(spell, "discharge/"), discharge(spell, version=1))
    assert response.status_code == 409 and Spell.objects.get().discharged_at is None


def test_a_discharged_patient_cannot_be_discharged_again_or_changed(as_user, spell):
    client = as_user("ward_nurse")
    first = send(client, "post", spell_url(spell, "discharge/"), discharge(spell))
    version = first.json()["spell"]["version"]
    assert send(client, "post", spell_url(spell, "discharge/"), discharge(spell, version=version)).status_code == 409
    response = send(client, "patch", spell_url(spell), {"version": version, "clinical_criteria": "Mobile"})
    assert response.status_code == 409 and "already been discharged" in response.json()["detail"]


# Schema ---------------------------------------------------------------------------------------------


def test_the_schema_describes_the_hospital_endpoints(as_user):
    paths = as_user("ward_nurse").get("/api/schema/?format=json").json()["paths"]
    assert {
        "/api/v1/wards/",
        "/api/v1/wards/{id}/",
        "/api/v1/spells/",
        "/api/v1/spells/{id}/",
        "/api/v1/spells/{id}/transfer/",
        "/api/v1/spells/{spell_pk}/nctr-periods/",
        "/api/v1/spells/{spell_pk}/nctr-periods/{id}/end/",
        "/api/v1/spells/{spell_pk}/delays/",
        "/api/v1/spells/{spell_pk}/discharge/",
    } <= set(paths)
