"""In real Chromium, with the ADT listener running: an A01 from the hospital puts the patient on the LIT's pull list
(ranked, with the reason) before anyone refers them; the LIT starts the referral there; an A03 discharges the stay."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from discharge import services as discharge_services
from discharge.models import Spell
from referrals.models import Referral, ReferralStatus
from tests import factories
from tests.browser.support import assert_accessible_without_errors, logged_in_page
from tests.browser.test_caseload import meanwhile
from tests.interfaces.test_adt import (
    ack_code,
    listener,  # noqa: F401 -- a fixture
    message,
    send,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS),
]


def test_an_admission_from_the_feed_is_pulled_by_the_lit_and_discharged_by_the_feed(
    live_server,
    listener,  # noqa: F811
    coordinator,
    teams,
):
    factories.WardFactory(code="W31", name="Ward 31 (older people)")
    nhs_number = next(factories._nhs_numbers)
    admitted = timezone.now() - datetime.timedelta(hours=3)
    assert ack_code(send(listener, message("A01", "E2E1", nhs_number=nhs_number, at=admitted))) == "AA"
    spell = Spell.objects.get(visit_number="V1001")

    with logged_in_page(live_server, coordinator) as page:
        page.goto("/referrals/pull-list/?lit=all")
        row = page.locator(f"#to-pull-{spell.pk}")
        assert "Ada SMITH" in row.inner_text() and "Aged 65+" in row.inner_text()
        assert_accessible_without_errors(page, "Pull list")
        row.get_by_role("link", name="Start a referral").click()
        page.get_by_label("Why does the patient need OCIT?").fill("Lives alone; slower on her feet since the fall.")
        page.get_by_role("button", name="Send referral").click()
        page.get_by_text("Referral sent for Ada SMITH").wait_for()

        def decide_and_discharge():
            current = Spell.objects.get(pk=spell.pk)
            discharge_services.spell_update(actor=coordinator, spell=current, version=current.version, pathway=0)
            later = admitted + datetime.timedelta(hours=2)
            answer = send(listener, message("A03", "E2E2", nhs_number=nhs_number, destination="19", at=later))
            assert ack_code(answer) == "AA", answer

        meanwhile(decide_and_discharge)
        page.goto(f"/wards/spells/{spell.pk}/")
        page.get_by_text("Discharged").first.wait_for()

    spell.refresh_from_db()
    referral = Referral.objects.get(spell=spell)
    assert spell.discharged_at is not None and spell.destination == "usual_residence"
    assert referral.source == "lit_in_reach" and referral.status in (ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN)
