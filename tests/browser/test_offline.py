"""In real Chromium: Today is installable, opens without a connection once opened on one, keeps what is recorded
without a connection and sends it once when the connection is back; a conflict is shown, not lost; logging out
leaves nothing on the device."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from caseload import services
from caseload.models import Contact, Goal, GoalStatus, Sequel
from ocit.models import AccessLog, ChangeLog
from tests import factories
from tests.browser.support import assert_accessible_without_errors, logged_in_page
from tests.browser.test_caseload import meanwhile
from tests.caseload.test_today import reallocate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)]

TODAY = "/caseload/today/"


@pytest.fixture
def visits(coordinator, practitioner, teams):
    """Two people on the practitioner's list, the first with a goal."""
    episodes = []
    for name in ("Ada", "Bert"):
        patient = factories.PatientFactory(
            given_name=name, team=practitioner.team, access_notes="Key safe left of door"
        )
        episode = services.episode_open(
            actor=coordinator,
            patient=patient,
            service="step_up_reablement",
            source="gp",
            priority="high",
            received_at=timezone.now() - datetime.timedelta(hours=5),
        )
        services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
        episodes.append(episode)
    services.goal_add(actor=practitioner, episode=episodes[0], text="Walk to the shop")
    return episodes


def go_offline(context):
    # Offline emulation does not reach a service worker's own requests: refuse those too.
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))


def go_online(context):
    context.unroute("**/*")
    context.set_offline(False)


def open_today(page):
    page.goto(TODAY)
    page.wait_for_selector("html[data-offline-ready=true]")


def record_visit(page, episode, notes):
    card = page.locator(f"#visit-{episode.pk}")
    card.get_by_text("Record a visit").click()
    card.get_by_label("Notes").fill(notes)
    card.get_by_role("button", name="Record visit").click()


def test_visits_recorded_without_a_connection_are_sent_once_when_it_is_back(live_server, practitioner, visits):
    first, second = visits
    with logged_in_page(live_server, practitioner) as page:
        open_today(page)
        assert_accessible_without_errors(page, "Today")
        go_offline(page.context)
        record_visit(page, first, "Walked to the kitchen with a frame.")
        record_visit(page, second, "Not in: a neighbour says at the day centre.")
        goal = page.locator(f"#visit-{first.pk}").get_by_label("Walk to the shop")
        goal.select_option("achieved")
        page.locator(f"#visit-{first.pk}").get_by_role("button", name="Update goal").click()
        page.get_by_text("Waiting to send (3)").wait_for()
        page.reload()  # without a connection: the copy kept today, and the outbox with it
        page.get_by_text("Waiting to send (3)").wait_for()
        assert page.locator("#today-connection").inner_text().startswith("No connection")
        go_online(page.context)
        page.locator("#outbox").wait_for(state="hidden")
        assert page.locator("#today-connection").inner_text().startswith("Online")
        assert_accessible_without_errors(page, "Today, two visit forms open")  # each filled from the one template
        assert not page.errors, page.errors

    assert sorted(Contact.objects.values_list("episode_id", "notes")) == [
        (first.pk, "Walked to the kitchen with a frame."),
        (second.pk, "Not in: a neighbour says at the day centre."),
    ]
    goal = Goal.objects.get()
    assert goal.status == GoalStatus.ACHIEVED and goal.version == 2
    assert ChangeLog.objects.filter(object_type="caseload.contact", actor=practitioner).count() == 2
    assert ChangeLog.objects.filter(object_type="caseload.goal", object_id=str(goal.pk), action="update").count() == 1
    # Opened once on a connection (and kept once by the page itself), not again when reloaded without one.
    looks = AccessLog.objects.filter(actor=practitioner, via=TODAY, patient_id=first.patient_id).count()
    assert looks == 2


def close(actor, episode):
    episode.refresh_from_db()
    services.episode_close(
        actor=actor,
        episode=episode,
        version=episode.version,
        sequel=Sequel.NO_ONGOING_SUPPORT,
        closing_package={"hours_per_week": 0, "calls_per_day": 0, "carers_per_call": 0, "provider_type": "none"},
    )


def test_a_visit_to_an_episode_closed_meanwhile_is_shown_as_not_recorded(
    live_server, coordinator, practitioner, visits
):
    _, second = visits
    with logged_in_page(live_server, practitioner) as page:
        open_today(page)
        go_offline(page.context)
        record_visit(page, second, "Fitted a grab rail.")
        page.get_by_text("Waiting to send (1)").wait_for()
        meanwhile(lambda: close(coordinator, second))
        go_online(page.context)
        page.get_by_text("not recorded (1)").wait_for()
        conflict = page.locator(".app-outbox__conflict")
        assert "closed" in conflict.inner_text() and "Fitted a grab rail." in conflict.inner_text()
        page.reload()
        page.get_by_text("not recorded (1)").wait_for()  # kept until the practitioner deals with it
        page.get_by_role("button", name="Remove from this device").click()
        page.locator("#outbox").wait_for(state="hidden")
    assert not Contact.objects.exists()


def test_a_visit_to_an_episode_reallocated_meanwhile_can_be_recorded_anyway(
    live_server, coordinator, practitioner, visits
):
    first, _ = visits
    colleague = factories.UserFactory(role="lit_practitioner", discipline="physiotherapist", team=practitioner.team)
    with logged_in_page(live_server, practitioner) as page:
        open_today(page)
        go_offline(page.context)
        record_visit(page, first, "Practised the stairs.")
        meanwhile(lambda: reallocate(coordinator, first, colleague))
        go_online(page.context)
        page.get_by_text("not recorded (1)").wait_for()
        assert f"reallocated to {colleague.full_name}" in page.locator(".app-outbox__conflict").inner_text()
        page.get_by_role("button", name="Record it anyway").click()
        page.locator("#outbox").wait_for(state="hidden")
        refused = "the server responded with a status of 409"  # the browser logs the refusal the page then shows
        assert not [error for error in page.errors if refused not in error], page.errors
    assert list(Contact.objects.values_list("episode_id", "notes")) == [(first.pk, "Practised the stairs.")]


def test_it_is_installable_and_logging_out_leaves_nothing_on_the_device(live_server, practitioner, visits):
    with logged_in_page(live_server, practitioner) as page:
        open_today(page)
        manifest = page.evaluate("async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json()")
        assert {"name", "short_name", "start_url", "display", "icons"} <= manifest.keys()
        assert manifest["display"] == "standalone" and any(icon["sizes"] == "512x512" for icon in manifest["icons"])
        assert page.evaluate("async () => (await navigator.serviceWorker.getRegistration('/')).active !== null")
        go_offline(page.context)
        page.goto("/caseload/mine/")  # any other page: the offline page, which says so
        assert "No connection" in page.locator("h1").inner_text()
        page.goto(TODAY)  # the offline page left the day's copy alone
        page.get_by_label("Walk to the shop").wait_for()
        go_online(page.context)
        page.goto(TODAY)
        assert page.evaluate("async () => (await caches.keys()).length") > 0
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url("**/login/**")
        kept = page.evaluate(
            """async () => ({
                caches: await caches.keys(),
                databases: (await indexedDB.databases()).map((database) => database.name),
                workers: (await navigator.serviceWorker.getRegistrations()).length,
            })"""
        )
    assert kept == {"caches": [], "databases": [], "workers": 0}
