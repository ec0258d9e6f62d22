"""Today: the practitioner's visits, kept on their device (the page, the service worker, the manifest); the
server side of sync is the ordinary API, idempotent for POST and PATCH alike."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from caseload import services
from caseload.models import Goal, GoalStatus
from ocit.models import AccessLog
from tests import factories

API = "/api/v1"


@pytest.fixture
def episode(coordinator, practitioner, patient):
    patient.access_notes = "Key safe by the back door; the dog is friendly."
    patient.save()
    episode = services.episode_open(
        actor=coordinator,
        patient=patient,
        service="step_up_reablement",
        source="gp",
        priority="high",
        received_at=timezone.now() - datetime.timedelta(hours=3),
    )
    services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
    services.goal_add(actor=practitioner, episode=episode, text="Make a cup of tea")
    return episode


def test_today_shows_what_is_needed_at_the_door_and_logs_the_look(client, practitioner, episode, patient):
    client.force_login(practitioner)
    response = client.get(reverse("caseload:today"))
    assert response.status_code == 200
    assert response["X-Kept-Offline"] == timezone.localdate().isoformat()
    page = response.content.decode()
    for text in (escape(patient.full_name), "Key safe by the back door", "Make a cup of tea", "Record a visit"):
        assert text in page
    assert AccessLog.objects.filter(actor=practitioner, patient_id=patient.pk, via="/caseload/today/").exists()


def test_today_is_for_practitioners_only_and_other_roles_keep_nothing(client, coordinator, board_member, episode):
    for user in (coordinator, board_member):
        client.force_login(user)
        assert client.get(reverse("caseload:today")).status_code == 403
        assert 'data-keeps-offline="false"' in client.get(reverse("home"), follow=True).content.decode()


def test_the_query_count_does_not_grow_with_the_list(
    client, practitioner, coordinator, episode, django_assert_max_num_queries
):
    for _ in range(5):
        other = services.episode_open(
            actor=coordinator,
            patient=factories.PatientFactory(),
            service="step_up_reablement",
            source="gp",
            priority="routine",
            received_at=timezone.now() - datetime.timedelta(hours=1),
        )
        services.episode_allocate(actor=coordinator, episode=other, practitioner=practitioner)
    client.force_login(practitioner)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("caseload:today")).status_code == 200


def test_the_service_worker_manifest_and_offline_page_need_no_session(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    settings = json.loads(worker.content.decode().split("\n", 1)[0].removeprefix("self.OCIT = ").removesuffix(";"))
    assert settings["today"] == "/caseload/today/" and settings["offline"] == "/offline/"
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/caseload/today/" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert "No connection" in client.get("/offline/").content.decode()


def test_the_offline_page_names_nobody_even_when_fetched_signed_in(client, practitioner):
    client.force_login(practitioner)
    assert escape(practitioner.full_name) not in client.get("/offline/").content.decode()


def test_logging_out_tells_the_browser_to_clear_what_it_kept(client, practitioner):
    client.force_login(practitioner)
    response = client.post(reverse("logout"))
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_a_goal_update_sent_twice_with_its_key_is_made_once(client, practitioner, episode):
    client.force_login(practitioner)
    goal = Goal.objects.get(episode=episode)
    body = {"status": GoalStatus.ACHIEVED, "version": goal.version}
    headers = {"Idempotency-Key": "goal-update-1"}
    first = client.patch(f"{API}/goals/{goal.pk}/", body, content_type="application/json", headers=headers)
    again = client.patch(f"{API}/goals/{goal.pk}/", body, content_type="application/json", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED and goal.version == body["version"] + 1


def reallocate(coordinator, episode, to):
    episode.refresh_from_db()
    services.episode_allocate(actor=coordinator, episode=episode, practitioner=to, version=episode.version)


def test_a_visit_sent_for_a_keyworker_the_episode_no_longer_has_is_a_409_naming_the_new_one(
    client, coordinator, practitioner, episode
):
    colleague = factories.UserFactory(role="lit_practitioner", discipline="physiotherapist", team=practitioner.team)
    client.force_login(practitioner)
    url = f"{API}/episodes/{episode.pk}/contacts/"
    visit = {"at": timezone.now().isoformat(), "duration_minutes": 30, "location": "home", "notes": "Stairs practice."}
    assert client.post(url, {**visit, "keyworker": practitioner.pk}, content_type="application/json").status_code == 201
    reallocate(coordinator, episode, colleague)
    refused = client.post(url, {**visit, "keyworker": practitioner.pk}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["keyworker"] == colleague.full_name
    assert f"reallocated to {colleague.full_name}" in refused.json()["detail"]
    assert client.post(url, visit, content_type="application/json").status_code == 201  # recorded anyway
    assert episode.contacts.count() == 2


def test_a_key_sent_again_with_a_method_the_address_does_not_take_is_a_405(client, practitioner, episode):
    client.force_login(practitioner)
    url = f"{API}/episodes/{episode.pk}/contacts/"
    visit = {"at": timezone.now().isoformat(), "duration_minutes": 30, "location": "home", "notes": "Visit."}
    headers = {"Idempotency-Key": "once"}
    assert client.post(url, visit, content_type="application/json", headers=headers).status_code == 201
    assert client.patch(url, {"notes": "x"}, content_type="application/json", headers=headers).status_code == 405
