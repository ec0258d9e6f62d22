"""The patient page tells the whole story on one timeline, newest first: hospital stays (admission, ward moves,
criteria-to-reside periods, delays, the discharge), referrals with every decision and who made it, and the
caseload (episodes, allocations, contacts, goals, packages, equipment), each linking to its page; filtered by kind;
in a fixed number of queries; and what a role may not see is left out."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from caseload import services as caseload_services
from discharge import services as discharge_services
from discharge.models import DelayReason
from referrals import services as referral_services
from tests import factories

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def stay(nurse, patient, ward, *, admitted_days_ago, moved_to=None):
    """A stay with a ward move, a criteria-to-reside period with a delay, and a referral from the ward."""
    now = timezone.now()
    admitted = now - admitted_days_ago * DAY
    spell = discharge_services.spell_admit(actor=nurse, patient=patient, ward=ward, admitted_at=admitted)
    if moved_to is not None:
        discharge_services.spell_transfer(actor=nurse, spell=spell, ward=moved_to, at=admitted + 2 * HOUR)
    referral = referral_services.referral_raise(
        actor=nurse,
        patient=patient,
        source="ward",
        referrer_name=nurse.full_name,
        reason="Lives alone, unsteady on her feet\nDaughter visits weekly",
        requested_service="step_down_reablement",
        urgency="high",
        spell=spell,
        received_at=admitted + 3 * HOUR,
    )
    ready_on = timezone.localdate(max(admitted + 4 * HOUR, now - 3 * DAY))
    discharge_services.nctr_start(actor=nurse, spell=spell, started_on=ready_on)
    discharge_services.delay_set(
        actor=nurse,
        spell=spell,
        reason=DelayReason.objects.get(code="awaiting-reablement"),
        started_on=max(ready_on, timezone.localdate(now - 2 * DAY)),
        note="Start date agreed with the reablement team",
    )
    return spell, referral


@pytest.fixture
def journey(ward_nurse, coordinator, practitioner, patient, ward_a, ward_b):
    """Admitted to ward 10, moved to ward 22, referred, accepted, discharged home on pathway 1, then seen at home."""
    ward_nurse.wards.add(ward_b)
    spell, referral = stay(ward_nurse, patient, ward_a, admitted_days_ago=6, moved_to=ward_b)
    referral_services.referral_accept(actor=coordinator, referral=referral)
    spell.refresh_from_db()
    referral_services.discharge_record(
        actor=ward_nurse,
        spell=spell,
        discharged_at=timezone.now() - 20 * HOUR,
        destination="usual_residence",
        pathway=1,
    )
    referral.refresh_from_db()
    episode = referral.episode
    caseload_services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
    caseload_services.contact_record(
        actor=practitioner, episode=episode, at=timezone.now() - 2 * HOUR, duration_minutes=40, location="home"
    )
    caseload_services.goal_add(actor=practitioner, episode=episode, text="Make a cup of tea")
    caseload_services.package_record(
        actor=practitioner,
        episode=episode,
        stage="start",
        effective_on=timezone.localdate(),
        hours_per_week=Decimal("7"),
        calls_per_day=1,
        carers_per_call=1,
        provider_type="reablement",
    )
    caseload_services.equipment_add(
        actor=practitioner, episode=episode, item="Perching stool", provided_on=timezone.localdate()
    )
    return {"spell": spell, "referral": referral, "episode": episode}


def story(client, patient, **query):
    response = client.get(reverse("caseload:patient_detail", args=[patient.pk]), query)
    assert response.status_code == 200
    body = response.content.decode()
    return body[body.index('id="timeline"') :]


def test_the_patient_page_tells_the_whole_story_newest_first(client, practitioner, coordinator, patient, journey):
    client.force_login(practitioner)
    body = story(client, patient)
    for text in (
        "Equipment</strong>: Perching stool",
        "Care package at the start",
        "Contact</strong>: home, 40 min",
        "Make a cup of tea",
        "Allocated</strong> to " + escape(practitioner.full_name),
        "accepted</strong> by " + escape(coordinator.full_name),
        "Referral</a> completed</strong>",
        "Lives alone, unsteady on her feet",
    ):
        assert text in body, text
    steps = [
        "Discharged</strong> to usual place of residence, Pathway 1: home with new or extra support",
        "Discharge delayed</strong>: Awaiting reablement capacity",
        "No longer meets the criteria to reside</strong>: discharge ready date",
        "raised</strong> for step-down reablement",
        "Moved</strong> to Ward 22",
        "Admitted to hospital",
    ]
    where = [body.find(step) for step in steps]
    assert -1 not in where, [step for step, at in zip(steps, where, strict=True) if at == -1]
    assert where == sorted(where), "newest first"
    for url in (
        reverse("discharge:spell_detail", args=[journey["spell"].pk]),
        reverse("referrals:detail", args=[journey["referral"].pk]),
        reverse("caseload:episode_detail", args=[journey["episode"].pk]),
    ):
        assert url in body


def test_the_timeline_filters_by_kind(client, practitioner, patient, journey):
    client.force_login(practitioner)
    body = story(client, patient, kind="spell")
    assert "Admitted to hospital" in body and "Discharged" in body
    assert "Allocated" not in body and "raised</strong>" not in body and "Perching stool" not in body
    body = story(client, patient, kind=["referral", "contact"])
    assert "raised</strong>" in body and "Contact</strong>" in body and "Admitted to hospital" not in body
    assert 'value="referral" checked' in body


def test_someone_in_hospital_is_flagged_on_their_page(client, practitioner, ward_nurse, patient, ward_a):
    stay(ward_nurse, patient, ward_a, admitted_days_ago=5)
    client.force_login(practitioner)
    page = client.get(reverse("caseload:patient_detail", args=[patient.pk])).content.decode()
    ready = timezone.localdate(timezone.now() - 3 * DAY)
    assert f"In hospital: Ward 10, ready for discharge from {ready.day} {ready:%b}" in page


def test_ward_staff_see_their_own_wards_stays_and_nothing_of_the_caseload(
    client, ward_nurse, coordinator, practitioner, patient, ward_a, journey
):
    """The nurse of wards 10 and 22 sees that stay; a later stay on ward 30, its referral and the community
    care are left out. A nurse of another ward cannot open the page at all."""
    other_ward = factories.WardFactory(code="W30", name="Ward 30")
    other_nurse = factories.UserFactory(role="ward_staff", discipline="nurse")
    other_nurse.wards.add(other_ward)
    stay(other_nurse, patient, other_ward, admitted_days_ago=0.5)

    client.force_login(ward_nurse)
    body = story(client, patient)
    assert "Moved</strong> to Ward 22" in body and "Ward 30" not in body
    assert body.count("raised</strong>") == 1
    for hidden in ("Allocated", "Contact</strong>", "Make a cup of tea", "Perching stool", "Care package at the start"):
        assert hidden not in body, hidden
    assert reverse("caseload:episode_detail", args=[journey["episode"].pk]) not in body

    client.force_login(factories.UserFactory(role="ward_staff", discipline="nurse"))
    assert client.get(reverse("caseload:patient_detail", args=[patient.pk])).status_code == 404


def test_entries_at_the_same_time_show_the_last_recorded_first(client, practitioner, patient, journey):
    at = (timezone.now() - 90 * datetime.timedelta(minutes=1)).replace(second=0, microsecond=0)
    for minutes in (15, 25, 35):
        caseload_services.contact_record(
            actor=practitioner, episode=journey["episode"], at=at, duration_minutes=minutes, location="phone"
        )
    client.force_login(practitioner)
    body = story(client, patient)
    assert -1 < body.find("phone, 35 min") < body.find("phone, 25 min") < body.find("phone, 15 min")


PATIENT_PAGE_QUERIES = 18


def test_the_patient_page_costs_a_fixed_number_of_queries(
    client, practitioner, coordinator, ward_nurse, patient, ward_a, journey, django_assert_num_queries
):
    client.force_login(practitioner)
    url = reverse("caseload:patient_detail", args=[patient.pk])
    with django_assert_num_queries(PATIENT_PAGE_QUERIES):
        client.get(url)
    # A second stay, referral and episode, and many more contacts: the same number of queries.
    episode = journey["episode"]
    for n in range(15):
        caseload_services.contact_record(
            actor=practitioner,
            episode=episode,
            at=timezone.now() - (3 + n) * HOUR,
            duration_minutes=20,
            location="home",
        )
    caseload_services.goal_add(actor=practitioner, episode=episode, text="Walk to the post box")
    _, referral = stay(ward_nurse, patient, ward_a, admitted_days_ago=0.5)
    referral_services.referral_accept(actor=coordinator, referral=referral)
    with django_assert_num_queries(PATIENT_PAGE_QUERIES):
        client.get(url)


def test_the_caseloads_entries_are_read_without_their_episodes_patient_or_lit(client, practitioner, patient, journey):
    """The story reads the patient's episodes once and gives each entry its own: the entries' queries join nothing
    more than who recorded them."""
    client.force_login(practitioner)
    with CaptureQueriesContext(connection) as queries:
        story(client, patient)
    tables = ("caseload_allocation", "caseload_contact", "caseload_goal", "caseload_carepackage", "caseload_equipment")
    entries = [query["sql"] for query in queries if any(f'FROM "{table}"' in query["sql"] for table in tables)]
    assert len(entries) == len(tables)
    assert [sql for sql in entries if '"caseload_episode"' in sql or '"caseload_patient"' in sql] == []
