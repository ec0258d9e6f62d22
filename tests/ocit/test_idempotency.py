"""A creating POST stores one record however many times it arrives, and every copy gets the first answer: the API
with an `Idempotency-Key` header, the pages with a one-time token in each form (`{% form_token %}`)."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from caseload import services as caseload_services
from caseload.models import Allocation, Contact, Episode, Goal
from discharge import services as discharge_services
from discharge.models import Spell
from ocit.models import IdempotentRequest
from referrals.models import Referral
from tests import factories
from tests.date_input import boxes

API = "/api/v1"
HOUR = datetime.timedelta(hours=1)


def open_episode(coordinator, patient, service="step_up_reablement"):
    return caseload_services.episode_open(
        actor=coordinator,
        patient=patient,
        service=service,
        source="gp",
        priority="high",
        received_at=timezone.now() - 3 * HOUR,
    )


@pytest.fixture
def active_episode(coordinator, practitioner, patient):
    episode = open_episode(coordinator, patient)
    caseload_services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
    return Episode.objects.get(pk=episode.pk)


def contact(minutes_ago=30):
    return {"at": (timezone.now() - datetime.timedelta(minutes=minutes_ago)).isoformat(), "duration_minutes": 30}


def test_the_same_api_request_twice_stores_one_contact_and_answers_the_same(client, practitioner, active_episode):
    client.force_login(practitioner)
    url, key, body = f"{API}/episodes/{active_episode.pk}/contacts/", str(uuid.uuid4()), contact()

    first = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": key})
    again = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": key})

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert Contact.objects.count() == 1


def test_a_key_sent_with_a_different_request_is_refused(client, practitioner, active_episode):
    client.force_login(practitioner)
    url, key = f"{API}/episodes/{active_episode.pk}/contacts/", "retry-me"
    client.post(url, contact(30), content_type="application/json", headers={"Idempotency-Key": key})

    response = client.post(url, contact(20), content_type="application/json", headers={"Idempotency-Key": key})

    assert response.status_code == 422 and "Idempotency-Key" in response.json()["errors"]
    assert Contact.objects.count() == 1


def test_a_refused_request_keeps_no_key_so_a_corrected_one_goes_through(client, practitioner, active_episode):
    client.force_login(practitioner)
    url, key = f"{API}/episodes/{active_episode.pk}/contacts/", "fix-and-retry"
    bad = {**contact(), "duration_minutes": -5}
    assert client.post(url, bad, content_type="application/json", headers={"Idempotency-Key": key}).status_code == 400

    response = client.post(url, contact(), content_type="application/json", headers={"Idempotency-Key": key})

    assert response.status_code == 201 and Contact.objects.count() == 1


def test_keys_belong_to_their_user(client, practitioner, coordinator, active_episode):
    url, key, body = f"{API}/episodes/{active_episode.pk}/contacts/", "shared", contact()
    for user in (practitioner, coordinator):
        client.force_login(user)
        assert (
            client.post(url, body, content_type="application/json", headers={"Idempotency-Key": key}).status_code == 201
        )
    assert Contact.objects.count() == 2


def contact_form(page, episode):
    """The contact form's fields for `episode`, with the token the page gave the form."""
    token = page.split('name="form_token" value="', 1)[1].split('"', 1)[0]
    prefix = f"contact-{episode.pk}-"
    return {
        "form_token": token,
        **boxes(prefix + "at", timezone.localtime()),
        prefix + "duration_minutes": "30",
        prefix + "location": "home",
        prefix + "attended": "yes",
    }


def test_a_form_sent_twice_records_one_contact(client, practitioner, active_episode):
    client.force_login(practitioner)
    url = reverse("caseload:contact_record", args=[active_episode.pk])
    form = contact_form(client.get(url).content.decode(), active_episode)

    first, again = client.post(url, form), client.post(url, form)

    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    assert Contact.objects.count() == 1


def test_an_htmx_form_sent_twice_records_one_contact_and_both_get_the_card(client, practitioner, active_episode):
    client.force_login(practitioner)
    url = reverse("caseload:contact_record", args=[active_episode.pk])
    headers = {"HX-Request": "true", "HX-Target": f"card-{active_episode.pk}"}
    # The card's form as My caseload fetches it when the practitioner opens "Record a contact".
    fragment = client.get(f"{url}?next={reverse('caseload:mine')}", headers={"HX-Request": "true"}).content.decode()
    form = contact_form(fragment, active_episode)

    first, again = client.post(url, form, headers=headers), client.post(url, form, headers=headers)

    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert "Contact recorded for" in again.content.decode() and again["Idempotent-Replayed"] == "true"
    assert Contact.objects.count() == 1


def test_every_form_on_a_page_has_its_own_token(client, coordinator, patient, teams):
    episode = open_episode(coordinator, factories.PatientFactory(team=teams["newfield-house"]))
    client.force_login(coordinator)
    page = client.get(reverse("caseload:episode_detail", args=[episode.pk])).content.decode()
    tokens = [part.split('"', 1)[0] for part in page.split('name="form_token" value="')[1:]]
    assert len(tokens) >= 2 and len(set(tokens)) == len(tokens)


# Copies sent together, on PostgreSQL: the second waits on the first's key, then gets its answer.


def send_together(requests):
    """Send the (client, method, url, data, headers) requests at once from threads; returns the responses."""
    start, responses = threading.Barrier(len(requests)), [None] * len(requests)

    def send(n, client, url, data, headers):
        start.wait()
        try:
            responses[n] = client.post(url, data, content_type="application/json", headers=headers)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n, *request)) for n, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def twice(user, url, data):
    key = str(uuid.uuid4())
    return send_together([(logged_in(user), url, data, {"Idempotency-Key": key}) for _ in range(2)])


@pytest.fixture
def cast(teams):
    team = teams["newfield-house"]
    coordinator = factories.UserFactory(role="lit_coordinator", discipline="coordinator", team=team)
    practitioner = factories.UserFactory(role="lit_practitioner", discipline="ot", team=team)
    nurse = factories.UserFactory(role="ward_staff")
    ward = factories.WardFactory(code="W88")
    nurse.wards.add(ward)
    return {"coordinator": coordinator, "practitioner": practitioner, "nurse": nurse, "ward": ward, "team": team}


def _contact(cast):
    episode = open_episode(cast["coordinator"], factories.PatientFactory(team=cast["team"]))
    caseload_services.episode_allocate(actor=cast["coordinator"], episode=episode, practitioner=cast["practitioner"])
    return cast["practitioner"], f"{API}/episodes/{episode.pk}/contacts/", contact(), lambda: Contact.objects.count()


def _goal(cast):
    episode = open_episode(cast["coordinator"], factories.PatientFactory(team=cast["team"]))
    data = {"episode": episode.pk, "text": "Walk to the shop"}
    return cast["practitioner"], f"{API}/goals/", data, lambda: Goal.objects.count()


def _allocation(cast):
    episode = open_episode(cast["coordinator"], factories.PatientFactory(team=cast["team"]))
    data = {"practitioner": cast["practitioner"].pk}
    return cast["coordinator"], f"{API}/episodes/{episode.pk}/allocations/", data, lambda: Allocation.objects.count()


def _referral(cast):
    patient = factories.PatientFactory(team=cast["team"])
    data = {
        "patient": patient.pk,
        "source": "gp",
        "referrer_name": "Dr Patel",
        "reason": "Two falls this week",
        "requested_service": "step_up_reablement",
        "urgency": "routine",
    }
    return cast["coordinator"], f"{API}/referrals/", data, lambda: Referral.objects.count()


def _discharge(cast):
    spell = discharge_services.spell_admit(
        actor=cast["nurse"],
        patient=factories.PatientFactory(team=cast["team"]),
        ward=cast["ward"],
        admitted_at=timezone.now() - 48 * HOUR,
    )
    data = {
        "version": spell.version,
        "discharged_at": (timezone.now() - HOUR).isoformat(),
        "destination": "usual_residence",
        "pathway": 1,
    }
    return (
        cast["coordinator"],
        f"{API}/spells/{spell.pk}/discharge/",
        data,
        lambda: (Spell.objects.filter(discharged_at__isnull=False).count(), Episode.objects.count()),
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("make", [_contact, _goal, _allocation, _referral, _discharge], ids=lambda f: f.__name__)
def test_two_copies_sent_together_store_one_record(cast, make):
    user, url, data, count = make(cast)
    before = count()

    first, second = twice(user, url, data)

    assert first.status_code in (200, 201) and second.status_code == first.status_code, (first, second)
    assert first.content == second.content
    after = count()
    if isinstance(before, tuple):
        assert after == (before[0] + 1, before[1] + 1)
    else:
        assert after == before + 1
    assert IdempotentRequest.objects.count() == 1
