"""The pull list proper: patients admitted and not yet referred, ranked by how likely OCIT will be needed (every
input reference data), with the reasons shown; the LIT starts the referral itself (source "LIT in-reach")."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from caseload.models import Source
from referrals import selectors, services
from referrals.models import RankingFactor, Referral
from tests import factories

pytestmark = pytest.mark.postgres


@pytest.fixture
def admitted(teams, ward_a):
    """Three people in hospital: one frail, very old and known to OCIT; one younger with nothing on record; one
    already referred."""
    today = timezone.localdate()
    known = factories.PatientFactory(
        given_name="Known", team=teams["tile-hill"], frailty_scale=6, date_of_birth=today.replace(year=today.year - 90)
    )
    factories.EpisodeFactory(patient=known, closed_at=timezone.now() - datetime.timedelta(days=30), sequel="died")
    young = factories.PatientFactory(given_name="Young", team=teams["tile-hill"], postcode="B1 1AA",
                                     date_of_birth=today.replace(year=today.year - 50))  # fmt: skip
    referred = factories.PatientFactory(given_name="Referred", team=teams["tile-hill"])
    spells = {
        patient.given_name: factories.SpellFactory(patient=patient, ward=ward_a) for patient in (known, young, referred)
    }
    factories.ReferralFactory(patient=referred, spell=spells["Referred"])
    return spells


def test_the_most_likely_to_need_ocit_come_first_with_their_reasons(coordinator, admitted):
    ranked, factors = selectors.admitted_not_referred(user=coordinator)
    rows = list(ranked)
    assert [spell.patient.given_name for spell in rows] == ["Known", "Young"]
    known, young = rows
    assert known.score == 40 + 20 + 20 + 10 + 10  # recent episode, frail, 65+, 85+, in a LIT's area
    assert selectors.reasons(known, factors) == [
        "Open or recent OCIT episode (last 90 days)",
        "Clinical Frailty Scale 5+",
        "Aged 65+",
        "Aged 85+",
        "Lives in a Coventry LIT's area",
    ]
    assert young.score == 0 and selectors.reasons(young, factors) == []


def test_the_points_are_reference_data(coordinator, admitted):
    RankingFactor.objects.filter(key="frail").update(points=100, threshold=7)  # CFS 6 no longer counts
    RankingFactor.objects.filter(key="in_area").delete()
    known = next(iter(selectors.admitted_not_referred(user=coordinator)[0]))
    assert known.score == 40 + 20 + 10


def test_the_page_shows_the_ranking_and_the_lit_starts_the_referral(client, coordinator, ward_nurse, admitted):
    client.force_login(coordinator)
    page = client.get(reverse("referrals:pull_list_not_referred"), {"lit": "all"}).content.decode()
    assert page.index("Known") < page.index("Young") and "Clinical Frailty Scale 5+" in page
    assert f'href="{reverse("referrals:raise", args=[admitted["Known"].pk])}"' in page
    services.referral_raise(
        actor=coordinator,
        patient=admitted["Known"].patient,
        spell=admitted["Known"],
        source=Source.LIT_IN_REACH,
        referrer_name=coordinator.full_name,
        reason="Pulled from the admissions list",
        requested_service="step_down_reablement",
        urgency="high",
    )
    assert [spell.patient.given_name for spell in selectors.admitted_not_referred(user=coordinator)[0]] == ["Young"]
    client.force_login(ward_nurse)
    assert client.get(reverse("referrals:pull_list")).status_code == 403


def test_a_referral_started_by_the_lit_is_lit_in_reach_and_by_the_ward_is_a_ward_referral(
    client, coordinator, ward_nurse, admitted
):
    form = {"reason": "Needs help at home", "requested_service": "step_down_reablement", "urgency": "high",
            "referrer_name": "A Person", "referrer_role": "Nurse", "referrer_contact": "bleep 123"}  # fmt: skip
    for user, name in ((coordinator, "Known"), (ward_nurse, "Young")):
        client.force_login(user)
        response = client.post(reverse("referrals:raise", args=[admitted[name].pk]), form)
        assert response.status_code == 302, response.content.decode()[:2000]
    sources = dict(Referral.objects.values_list("patient__given_name", "source"))
    assert sources["Known"] == Source.LIT_IN_REACH and sources["Young"] == Source.WARD
