"""What a discharge may say: every cell of destination × pathway, allowed or refused, and what follows it."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from caseload.models import Episode, EpisodeStatus, Sequel, Service
from discharge import services as discharge_services
from discharge.models import Destination, Pathway, Spell
from referrals import services
from referrals.models import Referral, ReferralStatus

HOUR = datetime.timedelta(hours=1)
PATHWAYS = [None, *Pathway.values]


@pytest.fixture
def spell(patient, ward_a, ward_nurse):
    return discharge_services.spell_admit(
        actor=ward_nurse, patient=patient, ward=ward_a, admitted_at=timezone.now() - 72 * HOUR
    )


@pytest.fixture
def referral(spell, ward_nurse):
    return services.referral_raise(
        actor=ward_nurse,
        patient=spell.patient,
        spell=spell,
        source="ward",
        referrer_name="Sam Nurse",
        reason="Needs help at home",
        requested_service=Service.STEP_DOWN_REABLEMENT,
        urgency="high",
    )


def discharge(spell, coordinator, destination, pathway):
    return services.discharge_record(
        actor=coordinator,
        spell=spell,
        discharged_at=timezone.now() - HOUR,
        destination=destination,
        pathway=pathway,
        version=spell.version,
    )


@pytest.mark.parametrize(("destination", "pathway"), list(itertools.product(Destination.values, PATHWAYS)))
def test_every_cell_of_the_discharge_table(spell, referral, coordinator, destination, pathway):
    allowed = services.DISCHARGES.get((destination, pathway))
    if allowed is None:
        with pytest.raises(ValidationError) as refused:
            discharge(spell, coordinator, destination, pathway)
        assert len(refused.value.message_dict) == 1 and set(refused.value.message_dict) <= {"pathway", "destination"}
        assert Spell.objects.get(pk=spell.pk).discharged_at is None
        assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED
        assert not Episode.objects.exists()
        return

    spell, episode = discharge(spell, coordinator, destination, pathway)

    assert (spell.destination, spell.pathway) == (destination, pathway) and spell.discharged_at is not None
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (allowed.referral, allowed.outcome)
    if allowed.follows is None:
        assert episode is None and not Episode.objects.exclude(status=EpisodeStatus.CLOSED).exists()
    else:
        assert episode.service == allowed.follows and referral.episode == episode
        # The step-down starts at discharge, and its response clock with it.
        assert episode.received_at == spell.discharged_at and episode.due_by > spell.discharged_at


def test_the_table_has_a_cell_for_every_place_and_a_way_home_for_every_pathway():
    assert {destination for destination, _ in services.DISCHARGES} == set(Destination.values)
    assert {pathway for _, pathway in services.DISCHARGES} == set(PATHWAYS)
    assert services.DISCHARGES[(Destination.DIED, None)].sequel == Sequel.DIED


def test_an_episode_accepted_on_the_ward_waits_without_a_clock_and_starts_at_discharge(spell, referral, coordinator):
    services.referral_accept(actor=coordinator, referral=referral)
    planned = Episode.objects.get()
    assert planned.status == EpisodeStatus.AWAITING_ALLOCATION and planned.due_by is None

    spell, episode = discharge(spell, coordinator, Destination.USUAL_RESIDENCE, Pathway.P1)

    assert episode == planned
    episode.refresh_from_db()
    assert episode.received_at == spell.discharged_at
    assert episode.due_by - spell.discharged_at == datetime.timedelta(hours=48)  # reablement within 2 days
    assert episode.version == planned.version + 1


@pytest.mark.parametrize(
    ("destination", "pathway", "sequel"),
    [
        (Destination.USUAL_RESIDENCE, Pathway.P0, Sequel.NO_ONGOING_SUPPORT),
        (Destination.CARE_HOME, Pathway.P3, Sequel.OTHER_SHORT_TERM),
        (Destination.DIED, None, Sequel.DIED),
    ],
)
def test_an_episode_accepted_on_the_ward_but_no_longer_needed_is_closed(
    spell, referral, coordinator, destination, pathway, sequel
):
    services.referral_accept(actor=coordinator, referral=referral)

    _, episode = discharge(spell, coordinator, destination, pathway)

    assert episode is None
    planned = Episode.objects.get()
    assert planned.status == EpisodeStatus.CLOSED and planned.sequel == sequel and planned.closed_at is not None


def test_a_death_in_hospital_ends_every_open_episode_of_the_person(spell, referral, coordinator, patient):
    from caseload import services as caseload_services

    at_home = caseload_services.episode_open(
        actor=coordinator,
        patient=patient,
        service=Service.THERAPY_AT_HOME,
        source="gp",
        priority="routine",
        received_at=timezone.now() - 200 * HOUR,
    )

    discharge(spell, coordinator, Destination.DIED, None)

    at_home.refresh_from_db()
    assert at_home.status == EpisodeStatus.CLOSED and at_home.sequel == Sequel.DIED


def test_the_api_answers_a_mismatch_with_400_and_the_field(client, spell, coordinator):
    client.force_login(coordinator)
    response = client.post(
        f"/api/v1/spells/{spell.pk}/discharge/",
        {"version": spell.version, "discharged_at": timezone.now().isoformat(), "destination": "died", "pathway": 1},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "pathway" in response.json()["errors"]
    assert Spell.objects.get(pk=spell.pk).discharged_at is None
