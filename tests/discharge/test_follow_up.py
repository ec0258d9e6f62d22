"""The 91-day follow-up of a discharge into reablement or rehabilitation (ASCOF: still at home 91 days later)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from discharge import services
from ocit.errors import Conflict
from ocit.models import ChangeLog
from tests import factories

DAY = datetime.timedelta(days=1)


def discharged(patient, ward, *, days_ago, pathway=1):
    return factories.SpellFactory(
        patient=patient,
        ward=ward,
        admitted_at=timezone.now() - (days_ago + 8) * DAY,
        discharged_at=timezone.now() - days_ago * DAY,
        pathway=pathway,
        destination="usual_residence",
    )


def test_the_lit_records_where_the_person_was_91_days_after_discharge(patient, ward_a, coordinator):
    spell = discharged(patient, ward_a, days_ago=95)
    version = spell.version

    spell = services.spell_follow_up(actor=coordinator, spell=spell, follow_up="at_home", version=version)

    assert spell.follow_up_91 == "at_home" and spell.version == version + 1
    log = ChangeLog.objects.get(object_type="discharge.spell", object_id=str(spell.pk))
    assert log.changes == {"follow_up_91": ["not_due", "at_home"]} and log.actor == coordinator


def test_it_is_not_recorded_before_the_91st_day(patient, ward_a, coordinator):
    spell = discharged(patient, ward_a, days_ago=90)
    with pytest.raises(ValidationError, match="is due on"):
        services.spell_follow_up(actor=coordinator, spell=spell, follow_up="at_home")


def test_the_91st_day_is_counted_on_the_local_calendar(patient, ward_a):
    late_evening = datetime.datetime(2026, 1, 1, 23, 30, tzinfo=datetime.UTC)  # 23:30 GMT
    spell = factories.SpellFactory(
        patient=patient, ward=ward_a, admitted_at=late_evening - 5 * DAY, discharged_at=late_evening, pathway=1
    )
    assert services.follow_up_due_on(spell) == datetime.date(2026, 4, 2)  # 1 January + 91 days


@pytest.mark.parametrize("pathway", [0, 3])
def test_only_pathways_1_and_2_are_followed_up(patient, ward_a, coordinator, pathway):
    spell = discharged(patient, ward_a, days_ago=120, pathway=pathway)
    with pytest.raises(ValidationError, match="pathway 1 or 2"):
        services.spell_follow_up(actor=coordinator, spell=spell, follow_up="at_home")


def test_ward_staff_do_not_follow_up(patient, ward_a, ward_nurse):
    spell = discharged(patient, ward_a, days_ago=120)
    with pytest.raises(PermissionDenied):
        services.spell_follow_up(actor=ward_nurse, spell=spell, follow_up="at_home")


def test_a_stale_version_is_refused(patient, ward_a, coordinator):
    spell = discharged(patient, ward_a, days_ago=120)
    services.spell_follow_up(actor=coordinator, spell=spell, follow_up="at_home", version=spell.version)
    with pytest.raises(Conflict):
        services.spell_follow_up(actor=coordinator, spell=spell, follow_up="died", version=spell.version)


def test_the_spell_page_asks_for_the_follow_up_once_due(client, patient, ward_a, coordinator):
    spell = discharged(patient, ward_a, days_ago=100)
    client.force_login(coordinator)
    page = client.get(reverse("discharge:spell_detail", args=[spell.pk])).content.decode()
    assert "Record the 91-day follow-up" in page

    response = client.post(
        reverse("discharge:spell_follow_up", args=[spell.pk]),
        {"follow-up-version": spell.version, "follow-up-follow_up_91": "in_hospital"},
    )
    assert response.status_code == 302
    spell.refresh_from_db()
    assert spell.follow_up_91 == "in_hospital"


def test_the_api_records_the_follow_up_and_answers_400_with_the_field(client, patient, ward_a, coordinator):
    spell = discharged(patient, ward_a, days_ago=100)
    client.force_login(coordinator)
    url = f"/api/v1/spells/{spell.pk}/follow-up/"
    refused = client.post(url, {"version": spell.version, "follow_up_91": "not_due"}, content_type="application/json")
    assert refused.status_code == 400 and "follow_up_91" in refused.json()["errors"]
    answer = client.post(url, {"version": spell.version, "follow_up_91": "care_home"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["follow_up_91"] == "care_home"
