"""In real Chromium: a coordinator allocates from the triage board without a reload, a practitioner records a
contact and closes an episode with a sequel, a search finds a patient despite a typo, and every caseload screen
has no serious accessibility failures and no script errors (with the app's real Content-Security-Policy on)."""

import datetime
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from caseload import services
from caseload.models import Contact, EpisodeStatus, GoalStatus, Sequel
from tests import factories
from tests.browser.support import (
    assert_accessible_without_errors,
    fill_date,
    logged_in_page,
    serious_accessibility_failures,
)

# Transactional (the live server needs committed rows), listing every app so that the flush at the end does not
# re-create content types under new ids: a later test with serialized rollback reloads the original ones.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)]

HOUR = datetime.timedelta(hours=1)


def meanwhile(work):
    """Change the database while a page is open, as another user would: in another thread, with its own connection."""

    def run():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def open_episode(actor, patient, service="ucr", priority="urgent", **extra):
    return services.episode_open(
        actor=actor,
        patient=patient,
        service=service,
        source="gp",
        priority=priority,
        received_at=timezone.now() - HOUR,
        **extra,
    )


@pytest.fixture
def board(coordinator, practitioner, teams):
    """Two episodes awaiting allocation in the coordinator's LIT, one in another."""
    team = teams["newfield-house"]
    first = open_episode(coordinator, factories.PatientFactory(team=team, family_name="Allocateme"))
    second = open_episode(coordinator, factories.PatientFactory(team=team, family_name="Staysput"), priority="high")
    elsewhere = open_episode(coordinator, factories.PatientFactory(team=teams["tile-hill"], family_name="Faraway"))
    return {"first": first, "second": second, "elsewhere": elsewhere}


def test_a_coordinator_allocates_from_the_triage_board_without_a_reload(live_server, coordinator, practitioner, board):
    first = board["first"]
    with logged_in_page(live_server, coordinator) as page:
        page.goto(reverse("caseload:triage"))
        assert_accessible_without_errors(page)
        page.evaluate("() => { window.appNotReloaded = true; }")
        row = page.locator(f"#triage-{first.pk}")
        assert row.locator("select").count() == 0  # the form is fetched when asked for
        row.get_by_role("link", name=f"Allocate {first.patient.full_name}").click()
        choose = row.get_by_label(f"Allocate {first.patient.full_name} to")
        choose.wait_for()
        # The list of practitioners is focused, so a keyboard user chooses straight away.
        page.wait_for_function(f"() => document.activeElement.id === 'allocate-{first.pk}'", timeout=2000)
        assert_accessible_without_errors(page)
        choose.select_option(str(practitioner.pk))
        row.get_by_role("button", name="Allocate").click()
        row.wait_for(state="detached")
        assert page.evaluate("() => window.appNotReloaded") is True, "the page was reloaded"
        assert page.locator("#app-messages").inner_text().count(f"allocated to {practitioner.full_name}") == 1
        assert page.locator(f"#triage-{board['second'].pk}").is_visible()
        # Keyboard users carry on from the next row's Allocate (the button they pressed has gone).
        second = board["second"].pk
        page.wait_for_function(
            f"() => document.activeElement.matches('#triage-{second} .app-allocate-link')", timeout=2000
        )
        assert_accessible_without_errors(page)
    first.refresh_from_db()
    assert first.status == EpisodeStatus.ACTIVE
    assert first.allocations.get().practitioner == practitioner


def test_a_lost_race_on_the_triage_board_says_who_won(live_server, coordinator, practitioner, board, teams):
    first = board["first"]
    rival = factories.UserFactory(role="lit_coordinator", discipline="coordinator", team=teams["newfield-house"])
    with logged_in_page(live_server, coordinator) as page:
        page.goto(reverse("caseload:triage"))
        row = page.locator(f"#triage-{first.pk}")
        row.get_by_role("link", name=f"Allocate {first.patient.full_name}").click()
        choose = row.get_by_label(f"Allocate {first.patient.full_name} to")
        choose.wait_for()
        meanwhile(lambda: services.episode_allocate(actor=rival, episode=first, practitioner=practitioner))
        choose.select_option(str(practitioner.pk))
        row.get_by_role("button", name="Allocate").click()
        error = row.locator(".app-row-error")
        error.wait_for()
        assert f"Already allocated to {practitioner.full_name} by {rival.full_name} at" in error.inner_text()
        assert_accessible_without_errors(page)
    assert first.allocations.count() == 1


def test_a_practitioner_records_a_contact_and_closes_the_episode_with_a_sequel(
    live_server, coordinator, practitioner, patient
):
    episode = open_episode(coordinator, patient, service="step_up_reablement")
    services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
    goal = services.goal_add(actor=practitioner, episode=episode, text="Make my own breakfast")
    with logged_in_page(live_server, practitioner) as page:
        page.goto(reverse("caseload:mine"))
        card = page.locator(f"#card-{episode.pk}")
        card.locator("summary").click()
        card.get_by_label("Duration in minutes").fill("40")
        fill_date(card, "Next planned contact", timezone.localdate() + datetime.timedelta(days=2))
        card.get_by_label("Notes").fill("Practised making tea with a perching stool.")
        card.get_by_role("button", name="Record contact").click()
        page.locator(f"#card-{episode.pk} .app-card-message").wait_for()
        assert "Contact recorded for" in page.locator(f"#card-{episode.pk}").inner_text()
        assert_accessible_without_errors(page)

        page.goto(reverse("caseload:episode_detail", args=[episode.pk]))
        page.get_by_role("button", name="Close this episode").click()
        page.wait_for_url(f"**{reverse('caseload:episode_close', args=[episode.pk])}")
        page.get_by_role("button", name="Close episode").click()  # nothing chosen: refused, with the reasons
        page.locator(".nhsuk-error-summary").wait_for()
        assert page.title().startswith("Error:")
        assert "Choose the sequel" in page.locator(".nhsuk-error-summary").inner_text()
        assert_accessible_without_errors(page)

        page.get_by_label("No ongoing support", exact=True).check()
        page.get_by_label("Hours of care a week").fill("0")
        page.get_by_label("Calls a day").fill("0")
        page.get_by_label("Carers a call").fill("0")
        page.get_by_label("Provided by").select_option("none")
        page.get_by_label("Make my own breakfast").select_option("achieved")
        page.get_by_role("button", name="Close episode").click()
        page.wait_for_url(f"**{reverse('caseload:episode_detail', args=[episode.pk])}")
        assert "Episode closed for" in page.locator("#app-messages").inner_text()
        assert_accessible_without_errors(page)
    episode.refresh_from_db()
    goal.refresh_from_db()
    assert Contact.objects.get(episode=episode).duration_minutes == 40
    assert episode.status == EpisodeStatus.CLOSED and episode.sequel == Sequel.NO_ONGOING_SUPPORT
    assert goal.status == GoalStatus.ACHIEVED


@pytest.mark.postgres
def test_a_search_finds_a_patient_despite_a_typo(live_server, practitioner, teams):
    wanted = factories.PatientFactory(given_name="Margaret", family_name="Higginbottom")
    factories.PatientFactory(given_name="Stanley", family_name="Okonkwo")
    with logged_in_page(live_server, practitioner) as page:
        page.goto(reverse("caseload:search"))
        page.get_by_label("NHS number or name").fill("Margret Higinbotom")
        page.get_by_role("button", name="Search").click()
        result = page.get_by_role("link", name=wanted.full_name)
        result.wait_for()
        assert page.get_by_role("link", name="Stanley OKONKWO").count() == 0
        assert_accessible_without_errors(page)


# Every screen, with data on it, passes axe and raises no script or CSP errors --------------------------


@pytest.fixture
def screens(coordinator, practitioner, patient, board):
    """An active episode with something in every section, allocated to the coordinator (so My caseload has it)."""
    episode = open_episode(coordinator, patient, service="therapy_at_home", discipline_needed="physio")
    services.episode_allocate(actor=coordinator, episode=episode, practitioner=coordinator)
    services.contact_record(
        actor=coordinator,
        episode=episode,
        at=timezone.now() - datetime.timedelta(minutes=20),
        duration_minutes=30,
        location="home",
        next_contact_on=timezone.localdate(),
    )
    services.goal_add(actor=coordinator, episode=episode, text="Climb the stairs to bed")
    services.package_record(
        actor=coordinator,
        episode=episode,
        stage="start",
        effective_on=timezone.localdate(),
        hours_per_week=7,
        calls_per_day=1,
        carers_per_call=1,
        provider_type="reablement",
    )
    services.equipment_add(actor=coordinator, episode=episode, item="Walking frame", provided_on=timezone.localdate())
    return {
        "triage": reverse("caseload:triage"),
        "mine": reverse("caseload:mine"),
        "team": reverse("caseload:team"),
        "team, all LITs": reverse("caseload:team") + "?lit=",
        "patient": reverse("caseload:patient_detail", args=[patient.pk]),
        "episode": reverse("caseload:episode_detail", args=[episode.pk]),
        "close": reverse("caseload:episode_close", args=[episode.pk]),
        "search": reverse("caseload:search"),
        "search results": reverse("caseload:search") + f"?q={patient.nhs_number}",
        "new patient": reverse("caseload:patient_create"),
        "new episode": reverse("caseload:episode_create", args=[patient.pk]),
        "record a contact": reverse("caseload:contact_record", args=[episode.pk]),
        "record a care package": reverse("caseload:package_record", args=[episode.pk]),
    }


def test_every_caseload_screen_is_accessible_and_error_free(live_server, coordinator, screens):
    with logged_in_page(live_server, coordinator) as page:
        for name, url in screens.items():
            response = page.goto(url)
            assert response.status == 200, name
            failures = serious_accessibility_failures(page)
            assert not failures, f"{name}: " + "\n".join(failures)
            assert not page.errors, f"{name}: {page.errors}"


def test_forms_with_errors_are_accessible(live_server, coordinator, screens):
    with logged_in_page(live_server, coordinator) as page:
        page.goto(screens["new patient"])
        page.get_by_label("NHS number", exact=True).fill("999 000 0019")
        page.get_by_label("Postcode", exact=True).fill("not a postcode")
        page.get_by_label("Year").fill(str(timezone.localdate().year + 1))
        page.get_by_role("button", name="Add patient").click()
        summary = page.locator(".nhsuk-error-summary")
        summary.wait_for()
        assert "check digit is wrong" in summary.inner_text()
        assert page.evaluate("() => document.activeElement.classList.contains('nhsuk-error-summary')")
        assert_accessible_without_errors(page)

        page.goto(screens["mine"])
        card = page.locator(".app-cards__item").first
        card.locator("summary").click()
        card.get_by_label("Duration in minutes").fill("0")
        card.get_by_label("No, not attended").check()
        card.get_by_role("button", name="Record contact").click()
        page.locator(".app-cards__item .nhsuk-error-summary").wait_for()
        assert "Say why the contact did not happen" in page.locator(".app-cards__item").first.inner_text()
        assert_accessible_without_errors(page)
