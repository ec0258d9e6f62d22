"""The FHIR read API: every resource it returns validates as FHIR (fhir.resources, R4B models), UK Core profiles
and the NHS number system; search by the patient's NHS number and _lastUpdated; the same roles and scoping as the
pages, errors as OperationOutcome, and every resource returned written to the access log."""

import datetime

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from caseload import services
from discharge.models import Spell
from ocit.models import AccessLog
from tests import factories

NHS = "https://fhir.nhs.uk/Id/nhs-number"


def valid(resource):
    """The resource as fhir.resources reads it (raises when it is not valid FHIR)."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.fixture
def story(coordinator, practitioner, patient, ward_a):
    episode = services.episode_open(
        actor=coordinator,
        patient=patient,
        service="step_up_reablement",
        source="gp",
        priority="high",
        received_at=timezone.now() - datetime.timedelta(days=2),
    )
    goal = services.goal_add(actor=practitioner, episode=episode, text="Walk to the shop", target_date=None)
    spell = factories.SpellFactory(patient=patient, ward=ward_a, visit_number="V77")
    referral = factories.ReferralFactory(patient=patient, spell=spell)
    return {"episode": episode, "goal": goal, "spell": spell, "referral": referral}


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("Patient", None),
        ("Encounter", "spell"),
        ("EpisodeOfCare", "episode"),
        ("ServiceRequest", "referral"),
        ("Task", "referral"),
        ("CarePlan", "episode"),
        ("Goal", "goal"),
    ],
)
def test_every_resource_read_and_searched_is_valid_fhir_with_its_uk_core_profile(
    client, coordinator, patient, story, kind, key
):
    client.force_login(coordinator)
    pk = patient.pk if key is None else story[key].pk
    response = client.get(f"/fhir/{kind}/{pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    resource = valid(response.json())
    assert resource.meta.profile == [f"https://fhir.hl7.org.uk/StructureDefinition/UKCore-{kind}"]
    parameter = "identifier" if kind == "Patient" else "patient.identifier"
    bundle = client.get(f"/fhir/{kind}", {parameter: f"{NHS}|{patient.nhs_number}"}).json()
    assert valid(bundle).total == 1 and bundle["entry"][0]["resource"]["id"] == str(pk)


def test_the_patient_carries_the_nhs_number_system(client, coordinator, patient):
    client.force_login(coordinator)
    resource = client.get(f"/fhir/Patient/{patient.pk}").json()
    assert resource["identifier"] == [{"system": NHS, "value": patient.nhs_number}]


def test_last_updated_narrows_the_search_and_a_bad_search_is_an_operation_outcome(client, coordinator, patient):
    client.force_login(coordinator)
    later = (timezone.now() + datetime.timedelta(days=1)).date().isoformat()
    assert client.get("/fhir/Patient", {"_lastUpdated": "ge2020-01-01"}).json()["total"] == 1
    assert client.get("/fhir/Patient", {"_lastUpdated": f"ge{later}"}).json()["total"] == 0
    for params in ({"identifier": f"{NHS}|123"}, {"_lastUpdated": "yesterday"}, {"name": "Smith"}):
        response = client.get("/fhir/Patient", params)
        assert response.status_code == 400 and valid(response.json()).issue[0].code == "invalid"


def test_the_same_roles_and_scoping_as_the_pages(client, board_member, ward_nurse, patient, story, ward_b):
    assert client.get(f"/fhir/Patient/{patient.pk}").status_code == 401
    client.force_login(board_member)
    refused = client.get(f"/fhir/Patient/{patient.pk}")
    assert refused.status_code == 403 and valid(refused.json()).issue[0].code == "forbidden"
    client.force_login(ward_nurse)  # ward A's nurse: this patient's stay is on ward A
    assert client.get(f"/fhir/Encounter/{story['spell'].pk}").status_code == 200
    assert client.get(f"/fhir/EpisodeOfCare/{story['episode'].pk}").status_code == 403
    Spell.objects.filter(pk=story["spell"].pk).update(ward=ward_b)  # moved to a ward that is not theirs
    assert client.get(f"/fhir/Encounter/{story['spell'].pk}").status_code == 404


def test_every_resource_returned_is_access_logged(client, coordinator, patient, story):
    client.force_login(coordinator)
    client.get("/fhir/Goal", {"patient.identifier": f"{NHS}|{patient.nhs_number}"})
    client.get(f"/fhir/Encounter/{story['spell'].pk}")
    vias = list(AccessLog.objects.filter(actor=coordinator, patient_id=patient.pk).values_list("via", flat=True))
    assert any(via.startswith("/fhir/Goal?") for via in vias) and f"/fhir/Encounter/{story['spell'].pk}" in vias


def test_the_capability_statement(client):
    statement = valid(client.get("/fhir/metadata").json())
    assert statement.fhirVersion == "4.0.1"
    assert {resource.type for resource in statement.rest[0].resource} == {
        "Patient",
        "Encounter",
        "EpisodeOfCare",
        "ServiceRequest",
        "Task",
        "CarePlan",
        "Goal",
    }
