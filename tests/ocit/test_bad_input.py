"""Input a person or a program could send by mistake or on purpose: refused with a field error (form) or a 400 with
the field (API), never a 500, nothing stored; and what the database itself refuses."""

import base64
import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from benefits.models import MetricValue
from caseload import services
from caseload.models import Contact, Episode
from tests import factories

API = "/api/v1"


@pytest.fixture
def episode(coordinator, practitioner, patient):
    episode = services.episode_open(
        actor=coordinator,
        patient=patient,
        service="step_up_reablement",
        source="gp",
        priority="high",
        received_at=timezone.now() - datetime.timedelta(hours=3),
    )
    services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
    return episode


def errors_of(response):
    assert response.status_code == 400, response.content
    return response.json()["errors"]


@pytest.mark.parametrize(
    ("received_at", "message"),
    [
        ("0007-03-01T10:00:00Z", "Enter a date between"),
        ("1999-12-31T10:00:00Z", "Enter a date between 1 January 2000"),
    ],
)
def test_an_episode_received_at_an_implausible_time_is_refused(client, coordinator, patient, received_at, message):
    client.force_login(coordinator)
    data = {"patient": patient.pk, "service": "ucr", "source": "gp", "priority": "urgent", "received_at": received_at}
    errors = errors_of(client.post(f"{API}/episodes/", data, content_type="application/json"))
    assert message in errors["received_at"][0]
    assert not Episode.objects.exists()


def test_the_database_refuses_a_date_out_of_range_whatever_writes_it(episode):
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.filter(pk=episode.pk).update(received_at=datetime.datetime(7, 3, 1, tzinfo=datetime.UTC))
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.filter(pk=episode.pk).update(next_contact_on=datetime.date(2250, 1, 1))


def test_a_filter_with_an_offset_no_place_uses_is_a_400(client, coordinator):
    client.force_login(coordinator)
    response = client.get(f"{API}/episodes/", {"received_after": "2024-01-01T10:00:00+18:16"})
    assert "time zone offset" in errors_of(response)["received_after"][0]
    response = client.get(f"{API}/episodes/", {"received_after": "0007-01-01T10:00:00+00:00"})
    assert "received_after" in errors_of(response)


def test_json_nested_a_thousand_deep_is_a_400(client, coordinator, board_member):
    deep = "[" * 1000 + "]" * 1000
    for user in (coordinator, board_member):
        client.force_login(user)
        response = client.post(f"{API}/goals/", '{"text": ' + deep + "}", content_type="application/json")
        assert response.status_code in (400, 403)
        if user == coordinator:
            assert "nested too deeply" in response.json()["detail"]
    client.force_login(coordinator)
    far_too_deep = "[" * 100_000 + "]" * 100_000
    assert client.post(f"{API}/goals/", far_too_deep, content_type="application/json").status_code == 400


def test_a_megabyte_of_contact_notes_is_refused_on_the_api_and_the_form(client, practitioner, episode):
    client.force_login(practitioner)
    notes = "Walked to the kitchen. " * 45_000  # about a megabyte
    data = {"at": timezone.now().isoformat(), "duration_minutes": 30, "location": "home", "notes": notes}
    errors = errors_of(client.post(f"{API}/episodes/{episode.pk}/contacts/", data, content_type="application/json"))
    assert "Keep this to 10,000 characters or fewer" in errors["notes"][0]
    just_too_long = {**data, "notes": "x" * 4_001}
    errors = errors_of(
        client.post(f"{API}/episodes/{episode.pk}/contacts/", just_too_long, content_type="application/json")
    )
    assert "Keep this to 4000 characters or fewer (it has 4001)" in errors["notes"][0]

    prefix = f"contact-{episode.pk}-"
    form = {
        prefix + "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        prefix + "duration_minutes": "30",
        prefix + "location": "home",
        prefix + "attended": "yes",
        prefix + "notes": "x" * 4_001,
    }
    page = client.post(reverse("caseload:contact_record", args=[episode.pk]), form).content.decode()
    assert "Keep this to 4000 characters or fewer" in page
    assert not Contact.objects.exists()


def test_a_recompute_reaches_no_further_back_than_its_window_before_go_live(db, coordinator):
    from benefits.services import recompute

    long_ago = datetime.datetime(2001, 5, 1, 12, tzinfo=datetime.UTC)
    factories.EpisodeFactory(
        received_at=long_ago, closed_at=long_ago + datetime.timedelta(days=3), sequel="no_ongoing_support"
    )
    recompute(trigger="command", full=True)
    first = MetricValue.objects.order_by("period_start").values_list("period_start", flat=True).first()
    assert first is not None and first >= datetime.date(2019, 6, 1)  # go-live 1 July 2024, five years back


def test_a_json_value_of_the_wrong_type_is_named_not_converted(client, coordinator, patient):
    client.force_login(coordinator)
    data = {"patient": str(patient.pk), "service": "ucr", "source": "gp", "priority": 3, "received_at": 20240101}
    errors = errors_of(client.post(f"{API}/episodes/", data, content_type="application/json"))
    assert errors == {
        "patient": ["Send a whole number."],
        "priority": ["Send text."],
        "received_at": ["Send text."],
    }
    assert not Episode.objects.exists()


def test_a_filter_sent_empty_or_not_true_or_false_is_a_field_error(client, coordinator, episode):
    client.force_login(coordinator)
    assert "Give a value" in errors_of(client.get(f"{API}/episodes/", {"received_before": ""}))["received_before"][0]
    assert errors_of(client.get(f"{API}/episodes/", {"breached": "perhaps"}))["breached"] == ["Enter true or false."]
    assert len(client.get(f"{API}/episodes/", {"breached": "false"}).json()["results"]) == 1
    assert len(client.get(f"{API}/episodes/", {"breached": "true"}).json()["results"]) == 0
    # A page's own form sends its empty fields: that is no filter, not an error.
    assert client.get(reverse("caseload:team"), {"received_before": "", "breached": ""}).status_code == 200


def test_an_idempotency_key_too_long_to_keep_is_refused_not_cut(client, practitioner, episode):
    client.force_login(practitioner)
    data = {"at": timezone.now().isoformat(), "duration_minutes": 30, "location": "home", "notes": "Visit."}
    url = f"{API}/episodes/{episode.pk}/contacts/"
    response = client.post(url, data, content_type="application/json", headers={"Idempotency-Key": "k" * 101})
    assert response.status_code == 400
    assert response.json()["errors"]["Idempotency-Key"] == ["Send a key of at most 100 characters."]
    assert not Contact.objects.exists()
    response = client.post(url, data, content_type="application/json", headers={"Idempotency-Key": "k" * 100})
    assert response.status_code == 201


def test_a_cursor_that_is_not_one_the_api_gave_is_a_400(client, coordinator, episode):
    client.force_login(coordinator)
    garbled = base64.b64encode(b"p=not-a-time").decode()
    for cursor in ("", "two", "-1", "%%%", garbled):
        assert errors_of(client.get(f"{API}/episodes/", {"cursor": cursor}))["cursor"] == [
            "Send the cursor from a page's next or previous link, unchanged, or leave it out."
        ], cursor
    assert len(client.get(f"{API}/episodes/").json()["results"]) == 1


def test_text_with_a_nul_character_is_a_400_wherever_it_is_in_the_body(client, coordinator, patient):
    client.force_login(coordinator)
    for body in ({"lit": "tile\u0000hill", "version": patient.version}, {"version": patient.version, "x\u0000": 1}):
        response = client.patch(f"{API}/patients/{patient.pk}/", body, content_type="application/json")
        assert response.status_code == 400 and "NUL" in response.json()["detail"]
