"""In real Chromium: a ward nurse refers an admitted patient; an LIT coordinator accepts the referral from the pull
list without a reload (the episode waits on the triage board, flagged in hospital, its clock not started), records
the discharge ready date, a delay reason and the pathway 1 discharge; the step-down episode's clock starts on the
triage board; it is allocated, a practitioner records a contact, and the patient page tells every step, the stay and
the discharge included. A death in hospital is refused at pathway 1 and recorded with no pathway, opening nothing.
Every screen on the way has no serious accessibility failures and no script errors (with the app's real
Content-Security-Policy on)."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from caseload.models import Episode, EpisodeStatus
from discharge import services as discharge_services
from discharge.models import Delay, NctrPeriod
from referrals import services as referral_services
from referrals.models import Referral, ReferralStatus
from tests import factories
from tests.browser.support import assert_accessible_without_errors, fill_date, logged_in_page

# Transactional (the live server needs committed rows), listing every app so that the flush at the end does not
# re-create content types under new ids: a later test with serialized rollback reloads the original ones.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)]

DAY = datetime.timedelta(days=1)


@pytest.fixture
def admitted(ward_a, ward_nurse, teams):
    """A patient of Newfield House LIT, admitted to the nurse's ward three days ago, plus a neighbour in the bay."""
    discharge_services.spell_admit(
        actor=ward_nurse,
        patient=factories.PatientFactory(team=teams["newfield-house"], family_name="Neighbour"),
        ward=ward_a,
        admitted_at=timezone.now() - 5 * DAY,
    )
    return discharge_services.spell_admit(
        actor=ward_nurse,
        patient=factories.PatientFactory(team=teams["newfield-house"], given_name="Edna", family_name="Pullman"),
        ward=ward_a,
        admitted_at=timezone.now() - 3 * DAY,
    )


def test_a_ward_referral_is_pulled_and_the_patient_goes_home_on_pathway_1(
    live_server, ward_nurse, coordinator, practitioner, admitted
):
    spell = admitted
    name = spell.patient.full_name

    # The ward nurse refers the patient from the ward board.
    with logged_in_page(live_server, ward_nurse) as page:
        page.goto(reverse("discharge:ward_board"))
        assert_accessible_without_errors(page, "ward board")
        page.get_by_role("link", name=f"Refer to OCIT {name}").click()
        page.wait_for_url(f"**{reverse('referrals:raise', args=[spell.pk])}")
        assert_accessible_without_errors(page, "raise")

        page.get_by_role("button", name="Send referral").click()  # nothing typed: refused, with the reason why
        page.locator(".nhsuk-error-summary").wait_for()
        assert page.title().startswith("Error:")
        assert "Enter why the patient needs OCIT" in page.locator(".nhsuk-error-summary").inner_text()
        assert_accessible_without_errors(page, "raise, with errors")

        page.get_by_label("Why does the patient need OCIT?").fill(
            "Lives alone; needs help to wash and dress since the fall."
        )
        page.get_by_label("What matters to the patient (optional)").fill("Getting back to my allotment")
        assert page.get_by_label("Your name").input_value() == ward_nurse.full_name
        page.get_by_role("button", name="Send referral").click()
        page.wait_for_url("**/referrals/*/")
        assert "Referral sent for" in page.locator("#app-messages").inner_text()
        assert_accessible_without_errors(page, "referral page (ward nurse)")

        page.get_by_role("navigation", name="Menu").get_by_role("link", name="Referrals").click()
        page.wait_for_url(f"**{reverse('referrals:list')}")
        assert page.get_by_role("link", name=name).is_visible()
        assert_accessible_without_errors(page, "referrals from my wards")

        page.goto(reverse("discharge:spell_detail", args=[spell.pk]))
        assert_accessible_without_errors(page, "spell page (ward nurse)")

    referral = Referral.objects.get(spell=spell)
    assert referral.raised_by == ward_nurse and referral.status == ReferralStatus.RECEIVED

    # The LIT coordinator pulls the patient and leads the discharge.
    with logged_in_page(live_server, coordinator) as page:
        page.goto(reverse("referrals:pull_list"))
        page.locator(f"#spell-{spell.pk}").wait_for()  # the lists below the referrals, fetched after the page
        assert_accessible_without_errors(page, "pull list")
        page.evaluate("() => { window.appNotReloaded = true; }")
        row = page.locator(f"#referral-{referral.pk}")
        row.get_by_role("button", name=f"Accept the referral for {name}").click()
        row.locator(".app-card-message").wait_for()
        assert page.evaluate("() => window.appNotReloaded") is True, "the page was reloaded"
        assert "Referral accepted" in row.inner_text()
        assert f"Accepted by {coordinator.full_name}" in row.inner_text()
        page.wait_for_function("() => document.activeElement.classList.contains('app-card-message')", timeout=2000)
        assert_accessible_without_errors(page, "pull list, after accepting")

        page.goto(reverse("referrals:detail", args=[referral.pk]))
        assert_accessible_without_errors(page, "referral page (coordinator)")

        # Accepted while still on the ward: on the triage board, flagged, the response clock waiting for discharge.
        page.goto(reverse("caseload:triage"))
        waiting = page.locator("tr[data-app-row]", has_text=name)
        assert "In hospital: Ward 10, not yet ready for discharge" in waiting.inner_text()
        assert "Starts at discharge" in waiting.inner_text()
        assert_accessible_without_errors(page, "triage, in hospital")

        page.goto(reverse("referrals:pull_list"))
        page.locator(f"#referral-{referral.pk}").get_by_role("link", name=f"Plan the discharge of {name}").click()
        page.wait_for_url(f"**{reverse('discharge:spell_detail', args=[spell.pk])}")
        assert_accessible_without_errors(page, "spell page (coordinator)")

        ready_on = timezone.localdate() - DAY
        page.locator("summary", has_text="Record the discharge ready date").click()
        fill_date(page, "Discharge ready date", ready_on)
        page.get_by_role("button", name="Record discharge ready date").click()
        page.wait_for_url("**#criteria")
        assert "Discharge ready date recorded" in page.locator("#app-messages").inner_text()
        assert_accessible_without_errors(page, "spell page, discharge ready")

        page.locator("summary", has_text="Record the delay reason").click()
        page.get_by_label("Reason for the delay").select_option(label="Awaiting reablement capacity")
        page.get_by_role("button", name="Save delay reason").click()
        page.wait_for_url("**#delays")
        assert "Delay reason recorded" in page.locator("#app-messages").inner_text()
        assert_accessible_without_errors(page, "spell page, delayed")

        page.get_by_role("button", name="Record the discharge", exact=True).click()
        page.wait_for_url(f"**{reverse('referrals:discharge', args=[spell.pk])}")
        assert_accessible_without_errors(page, "discharge")
        page.get_by_role("button", name="Record discharge", exact=True).click()  # no destination: refused
        page.locator(".nhsuk-error-summary").wait_for()
        assert "Choose where the patient went" in page.locator(".nhsuk-error-summary").inner_text()
        assert_accessible_without_errors(page, "discharge, with errors")

        page.get_by_label("Pathway 1: home with new or extra support").check()
        page.get_by_label("Usual place of residence").check()
        page.get_by_role("button", name="Record discharge", exact=True).click()
        page.wait_for_url("**?episode=*")
        assert "Discharge recorded for" in page.locator("#app-messages").inner_text()
        assert_accessible_without_errors(page, "discharged")
        page.get_by_role("link", name="Step-down reablement (pathway 1) on the Newfield House LIT caseload").click()
        page.wait_for_url("**/caseload/episodes/*/")

        page.goto(reverse("caseload:triage"))
        triage_row = page.locator("tr[data-app-row]", has_text=name)
        assert triage_row.count() == 1 and "Step-down reablement" in triage_row.inner_text()
        assert "In hospital" not in triage_row.inner_text() and "left" in triage_row.inner_text()
        triage_id = triage_row.get_attribute("id")
        assert_accessible_without_errors(page, "triage")
        triage_row.get_by_role("link", name=f"Allocate {name}").click()
        triage_row.get_by_label(f"Allocate {name} to").select_option(str(practitioner.pk))
        triage_row.get_by_role("button", name="Allocate").click()
        triage_row.wait_for(state="detached")
        assert f"allocated to {practitioner.full_name}" in page.locator("#app-messages").inner_text()

    # The practitioner sees the person at home, then reads their story.
    with logged_in_page(live_server, practitioner) as page:
        page.goto(reverse("caseload:mine"))
        card = page.locator(f"#{triage_id.replace('triage', 'card')}")
        card.locator("summary").click()
        card.get_by_label("Duration in minutes").fill("45")
        card.get_by_label("Notes").fill("Washed and dressed with a perching stool.")
        card.get_by_role("button", name="Record contact").click()
        card.locator(".app-card-message").wait_for()
        card.get_by_role("link", name=name).click()
        page.wait_for_url("**/caseload/patients/*/")
        timeline = page.locator(".app-timeline").inner_text()
        for step in (
            "Contact: home, 45 min",
            "Allocated to " + practitioner.full_name,
            "Referral completed by",
            "Discharged to usual place of residence, Pathway 1: home with new or extra support",
            "Referral accepted by " + coordinator.full_name,
        ):
            assert step in timeline, step
        # Today's steps (to the minute), then today's delay, yesterday's ready date, the admission three days ago.
        steps = [
            "Referral raised for step-down reablement",
            "Discharge delayed: Awaiting reablement capacity",
            "No longer meets the criteria to reside: discharge ready date",
            "Admitted to hospital: Ward 10",
        ]
        where = [timeline.find(step) for step in steps]
        assert -1 not in where, [step for step, at in zip(steps, where, strict=True) if at == -1]
        assert where == sorted(where), "newest first"
        assert_accessible_without_errors(page, "patient page")
        page.get_by_label("Hospital stays").check()
        page.get_by_role("button", name="Show", exact=True).click()
        page.wait_for_url("**kind=spell*")
        assert "Referral raised" not in page.locator(".app-timeline").inner_text()
        assert_accessible_without_errors(page, "patient page, hospital stays only")
        page.locator(".app-timeline").get_by_role("link", name="Ward 10").click()
        page.wait_for_url(f"**{reverse('discharge:spell_detail', args=[spell.pk])}")

    # The database is read only after the browser has closed (Playwright's event loop would open a connection of
    # its own that outlives the test).
    episode = Episode.objects.get(patient=spell.patient)
    assert triage_id == f"triage-{episode.pk}"
    spell.refresh_from_db()
    referral.refresh_from_db()
    assert spell.discharged_at is not None and spell.pathway == 1 and spell.destination == "usual_residence"
    assert NctrPeriod.objects.get(spell=spell).started_on == timezone.localdate() - DAY
    assert Delay.objects.get(spell=spell).reason.code == "awaiting-reablement"
    assert referral.status == ReferralStatus.COMPLETED and referral.episode == episode
    assert episode.status == EpisodeStatus.ACTIVE and episode.service == "step_down_reablement"
    assert episode.due_by is not None and episode.first_contact_at is not None


def test_a_refused_decision_on_the_pull_list_is_shown_beside_the_row(live_server, ward_nurse, coordinator, admitted):
    referral = referral_services.referral_raise(
        actor=ward_nurse,
        patient=admitted.patient,
        spell=admitted,
        source="ward",
        referrer_name="Sam Nurse",
        reason="Needs help at home",
        requested_service="step_down_reablement",
        urgency="urgent",
    )
    name = admitted.patient.full_name
    with logged_in_page(live_server, coordinator) as page:
        page.goto(reverse("referrals:pull_list"))
        row = page.locator(f"#referral-{referral.pk}")
        assert row.locator("form").count() == 1  # Accept only: the decline and redirect forms come when asked for
        page.evaluate("() => { window.appNotReloaded = true; }")
        row.get_by_role("link", name=f"Decline the referral for {name}").click()
        reason = row.get_by_label("Why is the referral declined?")
        reason.wait_for()
        assert page.evaluate("() => window.appNotReloaded") is True, "the page was reloaded"
        page.wait_for_function(
            f"() => document.activeElement.id === 'decline-{referral.pk}-reason'", timeout=2000
        )  # focus moves into the form that was asked for
        assert row.get_by_label("Redirect to").is_hidden()  # its own form, closed until chosen
        assert_accessible_without_errors(page, "pull list, decline form")
        row.get_by_role("button", name="Decline referral").click()  # no reason: refused in the row
        row.locator(".app-row-error").wait_for()
        assert "Give the reason" in row.inner_text()
        assert_accessible_without_errors(page, "pull list, refused decline")

        row.get_by_label("Why is the referral declined?").fill("Needs are health-only: district nursing")
        row.get_by_role("button", name="Decline referral").click()
        row.wait_for(state="detached")
        assert "declined" in page.locator("#app-messages").inner_text()
        assert_accessible_without_errors(page, "pull list, declined")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.DECLINED


def test_a_death_in_hospital_is_refused_at_pathway_1_and_opens_nothing(live_server, ward_nurse, coordinator, admitted):
    spell = admitted
    referral = referral_services.referral_raise(
        actor=ward_nurse,
        patient=spell.patient,
        spell=spell,
        source="ward",
        referrer_name=ward_nurse.full_name,
        reason="Frail; family worried about managing at home",
        requested_service="step_down_reablement",
        urgency="high",
    )
    referral_services.referral_accept(actor=coordinator, referral=referral)
    with logged_in_page(live_server, coordinator) as page:
        page.goto(reverse("referrals:discharge", args=[spell.pk]))
        page.get_by_label("Pathway 1: home with new or extra support").check()
        page.get_by_label("Died in hospital", exact=True).check()
        page.get_by_role("button", name="Record discharge", exact=True).click()
        page.locator(".nhsuk-error-summary").wait_for()
        refusal = page.locator(".nhsuk-error-summary").inner_text()
        assert "A discharge to 'died in hospital' has no pathway: choose 'No pathway'." in refusal
        assert_accessible_without_errors(page, "died at pathway 1, refused")

        page.get_by_label("No pathway: died in hospital, or transferred to another hospital").check()
        page.get_by_role("button", name="Record discharge", exact=True).click()
        page.locator("#app-messages", has_text="Discharge recorded for").wait_for()
        assert "episode opened" not in page.locator("#app-messages").inner_text()
        assert_accessible_without_errors(page, "died, recorded")
        page.goto(reverse("caseload:triage"))
        assert page.locator("tr[data-app-row]", has_text=spell.patient.full_name).count() == 0

    spell.refresh_from_db()
    referral.refresh_from_db()
    assert spell.destination == "died" and spell.pathway is None
    assert referral.status == ReferralStatus.WITHDRAWN and referral.outcome == "Died in hospital"
    assert not Episode.objects.filter(patient=spell.patient).exclude(status=EpisodeStatus.CLOSED).exists()
    assert Episode.objects.get(patient=spell.patient).sequel == "died"
