"""The caseload screens: who may see them, what they show, that bad input is refused field by field with
nothing written, that htmx allocation takes the row off the board, and that lists cost a fixed number of queries."""

import datetime
import re

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_migrate
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from caseload import selectors, services, views
from caseload.models import (
    Allocation,
    CarePackage,
    Contact,
    Episode,
    EpisodeStatus,
    Equipment,
    Goal,
    GoalStatus,
    Patient,
    Sequel,
    Team,
)
from ocit.models import AccessLog
from tests import factories
from tests.date_input import boxes, posted
from tests.lookups import slow_lookups

HOUR = datetime.timedelta(hours=1)
ROLES = ["practitioner", "coordinator", "ward_nurse", "board_member", "sysadmin"]


def open_episode(actor, patient=None, service="ucr", priority="urgent", received_at=None, **extra):
    return services.episode_open(
        actor=actor,
        patient=patient or factories.PatientFactory(),
        service=service,
        source="gp",
        priority=priority,
        received_at=received_at or timezone.now() - HOUR,
        **extra,
    )


def allocate(coordinator, episode, practitioner):
    services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
    episode.refresh_from_db()
    return episode


def page_text(response):
    return response.content.decode()


def htmx_post(client, url, data):
    return client.post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="x")


def htmx_get(client, url, current="/caseload/triage/?priority=urgent"):
    return client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{current}")


@pytest.fixture
def episode(patient, coordinator):
    return open_episode(coordinator, patient)


@pytest.fixture
def active_episode(episode, coordinator, practitioner):
    return allocate(coordinator, episode, practitioner)


# Who may see each page ------------------------------------------------------------------------------

PAGES = {
    "caseload:triage": None,
    "caseload:mine": None,
    "caseload:team": None,
    "caseload:search": None,
    "caseload:patient_create": None,
    "caseload:patient_detail": "patient",
    "caseload:episode_create": "patient",
    "caseload:episode_detail": "episode",
    "caseload:episode_close": "episode",
    "caseload:contact_record": "episode",
    "caseload:package_record": "episode",
}


@pytest.mark.parametrize(
    ("name", "role", "allowed"),
    [(name, role, role in ("practitioner", "coordinator")) for name in PAGES for role in ROLES],
)
def test_each_page_is_for_lit_staff_only(request, client, active_episode, name, role, allowed):
    client.force_login(request.getfixturevalue(role))
    owner = PAGES[name]
    args = [active_episode.patient_id] if owner == "patient" else [active_episode.pk] if owner == "episode" else []
    response = client.get(reverse(name, args=args))
    expected = 200 if allowed else 403
    if name == "caseload:patient_detail" and role == "ward_nurse":
        expected = 404  # ward staff see the people who stayed on their wards: not this one
    assert response.status_code == expected


@pytest.mark.parametrize("role", ["practitioner", "ward_nurse", "board_member", "sysadmin"])
def test_only_coordinators_may_allocate(request, client, episode, practitioner, role):
    client.force_login(request.getfixturevalue(role))
    url = reverse("caseload:episode_allocate", args=[episode.pk])
    assert client.post(url, {"practitioner": practitioner.pk}).status_code == 403
    assert not Allocation.objects.exists()


def test_navigation_puts_each_lit_roles_start_page_first(client, coordinator, practitioner, ward_nurse):
    menus = {}
    for user in (coordinator, practitioner, ward_nurse):
        client.force_login(user)
        menus[user.role] = [
            item["label"]
            for item in client.get(
                reverse("caseload:search") if user != ward_nurse else reverse("discharge:ward_board")
            ).context["navigation"]
        ]
    assert menus["lit_coordinator"][:4] == ["Triage", "My caseload", "Team caseload", "Search"]
    assert menus["lit_practitioner"][:5] == ["My caseload", "Today", "Triage", "Team caseload", "Search"]
    assert "Triage" not in menus["ward_staff"] and "Ward board" in menus["ward_staff"]


# Triage board ---------------------------------------------------------------------------------------


def test_triage_board_shows_time_left_or_breached_least_time_first(client, coordinator, teams):
    late = open_episode(coordinator, received_at=timezone.now() - 3 * HOUR)  # UCR: due 1 hour ago
    soon = open_episode(coordinator, received_at=timezone.now() - 40 * datetime.timedelta(minutes=1))
    client.force_login(coordinator)
    page = page_text(client.get(reverse("caseload:triage")))
    assert re.search(r"Breached (59|60) min ago|Breached 1 h ago", page)
    assert re.search(r"1 h (19|20) min left", page)
    assert page.index(f'id="triage-{late.pk}"') < page.index(f'id="triage-{soon.pk}"')


def test_triage_board_shows_service_priority_lit_age_and_flags(client, coordinator, teams):
    patient = factories.PatientFactory(lives_alone=True, interpreter_language="Polish", consent_to_share=False)
    open_episode(coordinator, patient, service="step_up_reablement", priority="high", discipline_needed="physio")
    client.force_login(coordinator)
    page = page_text(client.get(reverse("caseload:triage")))
    for text in (
        "Step-up reablement",
        "High",
        "Newfield House LIT",
        f"Aged {patient.age}",
        "Lives alone",
        "Interpreter: Polish",
        "No consent to share",
        "Needs: Physiotherapist",
    ):
        assert text in page, text
    assert reverse("caseload:patient_detail", args=[patient.pk]) in page


def test_triage_filters_live_in_the_url(client, coordinator, teams):
    tile_hill = open_episode(coordinator, factories.PatientFactory(team=teams["tile-hill"]), priority="routine")
    newfield = open_episode(coordinator, priority="urgent")
    client.force_login(coordinator)
    page = page_text(client.get(reverse("caseload:triage"), {"lit": "tile-hill"}))
    assert f'id="triage-{tile_hill.pk}"' in page and f'id="triage-{newfield.pk}"' not in page
    page = page_text(client.get(reverse("caseload:triage"), {"priority": "urgent"}))
    assert f'id="triage-{tile_hill.pk}"' not in page and f'id="triage-{newfield.pk}"' in page


def test_an_empty_board_says_what_to_do_next(client, coordinator):
    client.force_login(coordinator)
    assert "the board is clear" in page_text(client.get(reverse("caseload:triage")))
    assert "Clear the filters" in page_text(client.get(reverse("caseload:triage"), {"priority": "urgent"}))


def test_the_allocate_control_is_for_coordinators_only(client, episode, coordinator, practitioner):
    form = reverse("caseload:episode_allocate_form", args=[episode.pk])
    client.force_login(practitioner)
    assert form not in page_text(client.get(reverse("caseload:triage")))
    assert htmx_get(client, form).status_code == 403
    client.force_login(coordinator)
    assert form in page_text(client.get(reverse("caseload:triage")))


def test_the_allocation_form_is_fetched_into_the_row_with_its_list_focused(client, episode, coordinator, practitioner):
    client.force_login(coordinator)
    board = page_text(client.get(reverse("caseload:triage")))
    assert 'name="practitioner"' not in board  # no form in any row until asked for
    response = htmx_get(client, reverse("caseload:episode_allocate_form", args=[episode.pk]))
    body = page_text(response)
    assert response.status_code == 200 and f'action="{reverse("caseload:episode_allocate", args=[episode.pk])}"' in body
    assert f'id="allocate-{episode.pk}" name="practitioner" autofocus' in body
    assert f'<option value="{practitioner.pk}">' in body
    assert 'name="next" value="/caseload/triage/?priority=urgent"' in body  # back to the board as it was


def test_without_javascript_allocate_opens_the_episode_page_at_its_allocation_form(client, episode, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("caseload:episode_allocate_form", args=[episode.pk]))
    assert response.status_code == 302
    assert response.url == reverse("caseload:episode_detail", args=[episode.pk]) + "#allocate"
    assert 'id="allocate"' in page_text(client.get(response.url))


def test_asking_to_allocate_an_episode_allocated_since_says_who_did_in_its_row(
    client, episode, coordinator, practitioner, teams
):
    other = factories.UserFactory(role="lit_coordinator", discipline="coordinator", team=teams["newfield-house"])
    allocate(other, episode, practitioner)
    client.force_login(coordinator)
    response = htmx_get(client, reverse("caseload:episode_allocate_form", args=[episode.pk]))
    body = page_text(response)
    assert response.headers["HX-Retarget"] == f"#triage-{episode.pk}" and response.headers["HX-Reswap"] == "outerHTML"
    assert f"Already allocated to {escape(practitioner.full_name)} by {escape(other.full_name)} at " in body
    assert 'name="practitioner"' not in body


def test_allocation_is_offered_only_to_active_staff_of_the_lit_and_discipline(client, coordinator, teams):
    team = teams["newfield-house"]
    physio = factories.UserFactory(role="lit_practitioner", discipline="physio", team=team, full_name="Pat Physio")
    factories.UserFactory(role="lit_practitioner", discipline="ot", team=team, full_name="Olive Ot")
    factories.UserFactory(
        role="lit_practitioner", discipline="physio", team=team, full_name="Ivy Inactive", is_active=False
    )
    factories.UserFactory(role="lit_practitioner", discipline="physio", team=teams["tile-hill"], full_name="Tom Tile")
    episode = open_episode(coordinator, discipline_needed="physio")
    client.force_login(coordinator)
    page = page_text(htmx_get(client, reverse("caseload:episode_allocate_form", args=[episode.pk])))
    assert f'value="{physio.pk}"' in page
    for name in ("Olive Ot", "Ivy Inactive", "Tom Tile"):
        assert name not in page


def test_htmx_allocation_removes_the_row_and_announces_it(client, episode, coordinator, practitioner):
    client.force_login(coordinator)
    response = htmx_post(
        client, reverse("caseload:episode_allocate", args=[episode.pk]), {"practitioner": practitioner.pk}
    )
    assert response.status_code == 200
    body = page_text(response)
    assert f'id="triage-{episode.pk}"' not in body  # the row's outerHTML is swapped for nothing
    assert 'hx-swap-oob="innerHTML"' in body and f"allocated to {escape(practitioner.full_name)}" in body
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.ACTIVE
    assert Allocation.objects.get(episode=episode).practitioner == practitioner


def test_allocation_without_javascript_redirects_back_with_a_message(client, episode, coordinator, practitioner):
    client.force_login(coordinator)
    back = reverse("caseload:triage") + "?priority=urgent"
    response = client.post(
        reverse("caseload:episode_allocate", args=[episode.pk]), {"practitioner": practitioner.pk, "next": back}
    )
    assert response.status_code == 302 and response.url == back
    page = page_text(client.get(back))
    assert f"allocated to {escape(practitioner.full_name)}" in page
    assert f'id="triage-{episode.pk}"' not in page


def test_a_lost_race_says_who_allocated_first_next_to_the_row(client, episode, coordinator, practitioner, teams):
    other = factories.UserFactory(role="lit_coordinator", discipline="coordinator", team=teams["newfield-house"])
    allocate(other, episode, practitioner)
    nurse = factories.UserFactory(role="lit_practitioner", discipline="nurse", team=teams["newfield-house"])
    client.force_login(coordinator)
    response = htmx_post(client, reverse("caseload:episode_allocate", args=[episode.pk]), {"practitioner": nurse.pk})
    body = page_text(response)
    assert response.status_code == 200 and f'id="triage-{episode.pk}"' in body
    assert f"Already allocated to {escape(practitioner.full_name)} by {escape(other.full_name)} at " in body
    assert 'name="practitioner"' not in body  # no second attempt offered
    assert Allocation.objects.filter(episode=episode).count() == 1


def test_allocating_to_someone_of_another_lit_is_refused_and_nothing_is_written(client, episode, coordinator, teams):
    elsewhere = factories.UserFactory(role="lit_practitioner", discipline="ot", team=teams["tile-hill"])
    client.force_login(coordinator)
    response = htmx_post(
        client, reverse("caseload:episode_allocate", args=[episode.pk]), {"practitioner": elsewhere.pk}
    )
    body = page_text(response)
    assert "Choose someone from the list" in body and "nhsuk-error-message" in body
    assert 'name="practitioner"' in body
    assert not Allocation.objects.exists()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.AWAITING_ALLOCATION


def test_a_refused_allocation_without_javascript_comes_back_as_a_message(client, episode, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("caseload:episode_allocate", args=[episode.pk]), {"practitioner": ""}, follow=True)
    assert "was not allocated. Choose who to allocate the episode to" in page_text(response)
    assert not Allocation.objects.exists()


# Fixed query counts ---------------------------------------------------------------------------------


def count_queries(client, url):
    """The queries of a request after a first one, which may read the reference data each process keeps."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def fill_board(coordinator, teams, count):
    codes = list(teams)
    for index in range(count):
        team = teams[codes[index % len(codes)]]
        factories.UserFactory(role="lit_practitioner", discipline="ot", team=team)
        open_episode(
            coordinator,
            factories.PatientFactory(team=team, lives_alone=bool(index % 2)),
            discipline_needed="ot" if index % 3 else "",
        )


def test_triage_board_queries_do_not_grow_with_rows(client, coordinator, teams, django_assert_num_queries):
    fill_board(coordinator, teams, 3)
    client.force_login(coordinator)
    url = reverse("caseload:triage")
    baseline = count_queries(client, url)
    fill_board(coordinator, teams, 17)
    with django_assert_num_queries(baseline):
        response = client.get(url)
    assert len(response.context["rows"]) == 20


def test_triage_rows_read_only_what_each_row_has(client, coordinator, teams, monkeypatch):
    fill_board(coordinator, teams, 3)
    client.force_login(coordinator)
    with slow_lookups(monkeypatch) as names:
        response = client.get(reverse("caseload:triage"))
    assert len(response.context["rows"]) == 3
    assert [name for name in names if name.startswith("row")] == []


def fill_team(coordinator, teams, count):
    team = teams["newfield-house"]
    for index in range(count):
        practitioner = factories.UserFactory(
            role="lit_practitioner", discipline=("ot", "physio", "nurse")[index % 3], team=team
        )
        episode = open_episode(coordinator, factories.PatientFactory(team=team))
        if index % 4:
            allocate(coordinator, episode, practitioner)


@pytest.mark.parametrize("lit", ["newfield-house", ""])
def test_team_caseload_queries_do_not_grow_with_rows(client, coordinator, teams, django_assert_num_queries, lit):
    fill_team(coordinator, teams, 3)
    client.force_login(coordinator)
    url = reverse("caseload:team") + f"?lit={lit}"
    baseline = count_queries(client, url)
    fill_team(coordinator, teams, 17)
    with django_assert_num_queries(baseline):
        response = client.get(url)
    assert response.context["page"].paginator.count == 20


def test_my_caseload_queries_do_not_grow_with_rows(client, coordinator, practitioner, django_assert_num_queries):
    for _ in range(3):
        allocate(coordinator, open_episode(coordinator), practitioner)
    client.force_login(practitioner)
    baseline = count_queries(client, reverse("caseload:mine"))
    for _ in range(17):
        allocate(coordinator, open_episode(coordinator), practitioner)
    with django_assert_num_queries(baseline):
        response = client.get(reverse("caseload:mine"))
    assert len(response.context["cards"]) == 20


# Team caseload --------------------------------------------------------------------------------------


def test_team_caseload_defaults_to_the_users_lit_and_groups_by_keyworker(client, coordinator, practitioner, teams):
    mine = allocate(coordinator, open_episode(coordinator), practitioner)
    waiting = open_episode(coordinator)
    elsewhere = open_episode(coordinator, factories.PatientFactory(team=teams["tile-hill"]))
    client.force_login(coordinator)
    response = client.get(reverse("caseload:team"))
    page = page_text(response)
    assert response.context["lit"] == teams["newfield-house"]
    assert "Not yet allocated" in page and escape(practitioner.full_name) in page
    assert reverse("caseload:episode_detail", args=[mine.pk]) in page
    assert reverse("caseload:episode_detail", args=[waiting.pk]) in page
    assert reverse("caseload:episode_detail", args=[elsewhere.pk]) not in page
    assert ("Occupational therapist", 1) in response.context["by_discipline"]


def test_team_caseload_pages_follow_on_by_keyworker_each_episode_once(client, coordinator, teams, monkeypatch):
    monkeypatch.setattr(views, "TEAM_PAGE_SIZE", 3)
    fill_team(coordinator, teams, 8)
    client.force_login(coordinator)
    shown = []
    for number in (1, 2, 3):
        shown += list(client.get(reverse("caseload:team"), {"page": number}).context["page"])
    names = [episode.keyworker_name or "" for episode in shown]
    assert len({episode.pk for episode in shown}) == 8
    assert names == sorted(names) and names[:2] == ["", ""]  # the unallocated first, then by keyworker
    whole = selectors.team_caseload(user=coordinator, team=teams["newfield-house"])
    assert [episode.pk for episode in shown] == list(whole.values_list("pk", flat=True))


def test_team_caseload_counts_the_lits_open_episodes_that_match_allocated_or_not(
    client, coordinator, practitioner, teams
):
    allocate(coordinator, open_episode(coordinator, priority="routine"), practitioner)
    open_episode(coordinator, priority="routine")
    open_episode(coordinator, priority="urgent")
    open_episode(coordinator, factories.PatientFactory(team=teams["tile-hill"]), priority="routine")
    client.force_login(coordinator)
    assert client.get(reverse("caseload:team")).context["page"].paginator.count == 3
    routine = client.get(reverse("caseload:team"), {"priority": "routine"})
    assert routine.context["page"].paginator.count == 2 == len(routine.context["page"].object_list)


def test_the_lit_filters_are_checked_and_listed_without_a_query_for_the_lits(client, coordinator, teams):
    client.force_login(coordinator)
    client.get(reverse("caseload:triage"), {"lit": "tile-hill"})  # may read the LITs; the next may not
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("caseload:triage"), {"lit": "tile-hill"})
    assert response.context["filters"].form.cleaned_data["lit"] == teams["tile-hill"]
    assert 'value="tile-hill" selected' in page_text(response)
    assert not [q["sql"] for q in queries if 'FROM "caseload_team"' in q["sql"]]


def test_a_lit_renamed_or_closed_shows_in_the_filters_at_once(
    client, coordinator, teams, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    client.get(reverse("caseload:triage"))
    tile_hill = teams["tile-hill"]
    tile_hill.name = "Tile Hill and Allesley"
    with django_capture_on_commit_callbacks(execute=True):
        tile_hill.save()
    assert "Tile Hill and Allesley" in page_text(client.get(reverse("caseload:triage")))
    tile_hill.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        tile_hill.save()
    response = client.get(reverse("caseload:triage"), {"lit": "tile-hill"})
    assert "Tile Hill and Allesley" not in page_text(response)
    assert "Select a valid choice" in page_text(response)


def test_a_change_to_a_lit_reaches_every_process_once_committed(teams, django_capture_on_commit_callbacks):
    """Each process keeps its copy until the shared version moves on, which another process's change does."""
    assert [team.name for team in selectors.active_teams()] == [
        "Newfield House LIT",
        "Opal Centre LIT",
        "Tile Hill LIT",
    ]
    Team.objects.filter(code="opal-centre").update(name="Opal")  # as another process would, unseen here
    assert selectors.active_teams()[1].name == "Opal Centre LIT"
    with django_capture_on_commit_callbacks() as callbacks:
        selectors.forget_teams()  # that process's signal: its own copy now, the others' on commit
    assert selectors.active_teams()[1].name == "Opal"
    selectors._teams.update(teams=[])  # this process's stale copy, as the other processes have it
    assert selectors.active_teams() == []
    callbacks[0]()
    assert selectors.active_teams()[1].name == "Opal"
    version = cache.get(selectors.TEAMS_VERSION)
    with django_capture_on_commit_callbacks(execute=True):
        post_migrate.send(sender=apps.get_app_config("caseload"), app_config=apps.get_app_config("caseload"))
    assert cache.get(selectors.TEAMS_VERSION) != version  # a data migration may have changed them


def test_team_caseload_shows_all_three_lits_together(client, coordinator, teams):
    elsewhere = open_episode(coordinator, factories.PatientFactory(team=teams["tile-hill"]))
    client.force_login(coordinator)
    response = client.get(reverse("caseload:team"), {"lit": ""})
    assert response.context["lit"] is None
    assert reverse("caseload:episode_detail", args=[elsewhere.pk]) in page_text(response)
    assert "All three LITs" in page_text(response)


# My caseload and contacts ---------------------------------------------------------------------------


def test_my_caseload_shows_next_contact_and_overdue_goals(client, patient, practitioner, coordinator):
    episode = open_episode(
        coordinator, patient, service="step_up_reablement", received_at=timezone.now() - datetime.timedelta(days=5)
    )
    allocate(coordinator, episode, practitioner)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    services.goal_add(actor=practitioner, episode=episode, text="Walk to the shop", target_date=yesterday)
    services.goal_add(actor=practitioner, episode=episode, text="Cook a meal", target_date=timezone.localdate())
    services.contact_record(
        actor=practitioner,
        episode=episode,
        at=timezone.now() - HOUR,
        duration_minutes=30,
        location="home",
        next_contact_on=timezone.localdate(),
    )
    open_episode(coordinator)  # not mine
    client.force_login(practitioner)
    response = client.get(reverse("caseload:mine"))
    page = page_text(response)
    assert [card["episode"].pk for card in response.context["cards"]] == [episode.pk]
    assert "Today" in page and "1 overdue" in page
    assert "Record a contact" in page


def test_my_caseload_when_empty_says_where_work_comes_from(client, practitioner):
    client.force_login(practitioner)
    assert "You have no open episodes" in page_text(client.get(reverse("caseload:mine")))


def contact_data(episode, **overrides):
    values = {
        "at": timezone.localtime(),
        "duration_minutes": "45",
        "location": "home",
        "attended": "yes",
        "notes": "Walked to the kitchen with a frame.",
        "next_contact_on": timezone.localdate() + datetime.timedelta(days=2),
        **overrides,
    }
    return posted(values, prefix=f"contact-{episode.pk}-")


def test_recording_a_contact_from_my_caseload_updates_the_card_in_place(client, active_episode, practitioner):
    client.force_login(practitioner)
    response = htmx_post(
        client, reverse("caseload:contact_record", args=[active_episode.pk]), contact_data(active_episode)
    )
    body = page_text(response)
    assert response.status_code == 200 and f'id="card-{active_episode.pk}"' in body
    assert "Contact recorded for" in body
    contact = Contact.objects.get()
    assert contact.duration_minutes == 45 and contact.practitioner == practitioner
    active_episode.refresh_from_db()
    assert active_episode.first_contact_at is not None
    assert active_episode.next_contact_on == timezone.localdate() + datetime.timedelta(days=2)


def test_my_caseload_fetches_a_cards_contact_form_when_it_is_opened(client, active_episode, practitioner):
    client.force_login(practitioner)
    mine = reverse("caseload:mine")
    page = page_text(client.get(mine))
    url = reverse("caseload:contact_record", args=[active_episode.pk])
    assert f'hx-get="{url}?next=/caseload/mine/"' in page and "Duration in minutes" not in page
    fragment = client.get(f"{url}?next={mine}", HTTP_HX_REQUEST="true")
    body = page_text(fragment)
    assert "Duration in minutes" in body and "<html" not in body and fragment["Vary"].count("HX-Request")
    assert f'name="next" value="{mine}"' in body
    without_javascript = page_text(client.get(f"{url}?next={mine}"))  # the card's link: the whole form page
    assert "<html" in without_javascript and f'name="next" value="{mine}"' in without_javascript


def test_recording_a_contact_without_javascript_redirects_with_a_message(client, active_episode, practitioner):
    client.force_login(practitioner)
    response = client.post(
        reverse("caseload:contact_record", args=[active_episode.pk]), contact_data(active_episode), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("caseload:episode_detail", args=[active_episode.pk])
    assert "Contact recorded for" in page_text(response)
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"at": datetime.datetime(2001, 1, 1, 10)}, "at", "before the referral was received"),
        ({"attended": "no", "not_attended_reason": ""}, "not_attended_reason", "Say why the contact did not happen"),
        ({"duration_minutes": "forty"}, "duration_minutes", "whole number of minutes"),
        ({"duration_minutes": "-5"}, "duration_minutes", "cannot be negative"),
        (dict.fromkeys(["at_day", "at_month", "at_year", "at_hour", "at_minute"], ""), "at", "Enter when the contact"),
        ({"at_hour": "25"}, "at", "the hour must be a number from 0 to 23"),
        ({"next_contact_on": datetime.date(2001, 1, 1)}, "next_contact_on", "cannot be in the past"),
        (
            {"next_contact_on_month": "", "next_contact_on_year": ""},
            "next_contact_on",
            "must include a month and a year",
        ),
    ],
)
def test_a_bad_contact_shows_the_field_error_and_writes_nothing(
    client, active_episode, practitioner, overrides, field, message
):
    client.force_login(practitioner)
    for post in (client.post, lambda url, data: htmx_post(client, url, data)):
        response = post(
            reverse("caseload:contact_record", args=[active_episode.pk]), contact_data(active_episode, **overrides)
        )
        body = page_text(response)
        assert response.status_code == 200
        assert f'id="contact-{active_episode.pk}-{field}-error"' in body
        assert message in body
        assert "There is a problem" in body
    assert not Contact.objects.exists()
    active_episode.refresh_from_db()
    assert active_episode.first_contact_at is None


def test_no_contact_can_be_added_to_a_closed_episode(client, active_episode, practitioner):
    services.episode_close(
        actor=practitioner, episode=active_episode, version=active_episode.version, sequel="declined"
    )
    client.force_login(practitioner)
    response = client.post(reverse("caseload:contact_record", args=[active_episode.pk]), contact_data(active_episode))
    assert "This episode is closed" in page_text(response)
    assert not Contact.objects.exists()


# Patient and episode pages --------------------------------------------------------------------------


def test_patient_page_shows_details_timeline_and_episodes_and_logs_the_view(
    client, active_episode, practitioner, coordinator
):
    patient = active_episode.patient
    Patient.objects.filter(pk=patient.pk).update(
        phone="024 7600 0000",
        gp_practice_code="M86001",
        next_of_kin="Sam Test (son) 07700 900000",
        lives_alone=True,
        interpreter_language="Punjabi",
        consent_to_share=True,
    )
    services.contact_record(
        actor=practitioner, episode=active_episode, at=timezone.now(), duration_minutes=30, location="home"
    )
    services.goal_add(actor=practitioner, episode=active_episode, text="Make my own breakfast")
    services.equipment_add(
        actor=practitioner, episode=active_episode, item="Perching stool", provided_on=timezone.localdate()
    )
    client.force_login(practitioner)
    url = reverse("caseload:patient_detail", args=[patient.pk])
    page = page_text(client.get(url))
    for text in (
        patient.nhs_number_display,
        f"aged {patient.age}",
        "024 7600 0000",
        "M86001",
        "Sam Test (son)",
        "Interpreter needed: Punjabi",
        "Newfield House LIT",
        "Referred for",
        "Allocated",
        "Contact",
        "Make my own breakfast",
        "Perching stool",
    ):
        assert escape(text) in page, text
    assert reverse("caseload:episode_detail", args=[active_episode.pk]) in page
    assert AccessLog.objects.get().via == url


def test_episode_page_shows_status_clock_allocations_and_the_way_to_close(client, active_episode, practitioner):
    client.force_login(practitioner)
    page = page_text(client.get(reverse("caseload:episode_detail", args=[active_episode.pk])))
    assert "Active" in page and "UCR 2-hour" in page and "left" in page
    assert escape(practitioner.full_name) in page
    assert reverse("caseload:episode_close", args=[active_episode.pk]) in page
    assert reverse("caseload:episode_reallocate", args=[active_episode.pk]) not in page  # coordinators only


def test_adding_a_goal_from_the_episode_page(client, active_episode, practitioner):
    client.force_login(practitioner)
    response = client.post(
        reverse("caseload:goal_add", args=[active_episode.pk]), {"text": "Get in and out of the bath"}, follow=True
    )
    assert "Goal added" in page_text(response) and "Get in and out of the bath" in page_text(response)
    assert Goal.objects.get().text == "Get in and out of the bath"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": ""}, "text", "Enter the goal"),
        (
            {"text": "Walk again", **boxes("target_date", datetime.date(2001, 1, 1))},
            "target_date",
            "before the episode",
        ),
        (
            {"text": "Walk again", "target_date_day": "1", "target_date_month": "13", "target_date_year": "2030"},
            "target_date",
            "the month must be a number from 1 to 12",
        ),
        ({"text": "x" * 301}, "text", "300 characters or fewer"),
    ],
)
def test_a_bad_goal_shows_the_field_error_and_writes_nothing(
    client, active_episode, practitioner, data, field, message
):
    client.force_login(practitioner)
    page = page_text(client.post(reverse("caseload:goal_add", args=[active_episode.pk]), data))
    assert f'id="{field}-error"' in page and message in page and "There is a problem" in page
    assert not Goal.objects.exists()


def test_bad_equipment_shows_the_field_error_and_writes_nothing(client, active_episode, practitioner):
    client.force_login(practitioner)
    page = page_text(
        client.post(
            reverse("caseload:equipment_add", args=[active_episode.pk]),
            {"item": "", "provided_on_day": "31", "provided_on_month": "2", "provided_on_year": "2025"},
        )
    )
    assert 'id="item-error"' in page and 'id="provided_on-error"' in page
    assert "The date it was provided must be a real date: February 2025 has 28 days" in page
    assert not Equipment.objects.exists()


def package_data(**overrides):
    return posted(
        {
            "stage": "start",
            "effective_on": timezone.localdate(),
            "hours_per_week": "10.5",
            "calls_per_day": "2",
            "carers_per_call": "1",
            "provider_type": "reablement",
            **overrides,
        }
    )


def test_recording_a_care_package(client, active_episode, practitioner):
    client.force_login(practitioner)
    response = client.post(reverse("caseload:package_record", args=[active_episode.pk]), package_data(), follow=True)
    assert "Care package recorded" in page_text(response)
    assert CarePackage.objects.get().hours_per_week == 10.5


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hours_per_week": "-1"}, "hours_per_week"),
        ({"calls_per_day": "lots"}, "calls_per_day"),
        ({"stage": ""}, "stage"),
    ],
)
def test_a_bad_care_package_shows_the_field_error_and_writes_nothing(
    client, active_episode, practitioner, overrides, field
):
    client.force_login(practitioner)
    page = page_text(
        client.post(reverse("caseload:package_record", args=[active_episode.pk]), package_data(**overrides))
    )
    assert f'id="{field}-error"' in page
    assert not CarePackage.objects.exists()


def test_a_second_start_package_is_refused(client, active_episode, practitioner):
    client.force_login(practitioner)
    client.post(reverse("caseload:package_record", args=[active_episode.pk]), package_data())
    page = page_text(client.post(reverse("caseload:package_record", args=[active_episode.pk]), package_data()))
    assert "package recorded for this stage" in page or "already recorded for this stage" in page
    assert CarePackage.objects.count() == 1


def test_reallocating_on_an_old_version_shows_the_current_values(
    client, active_episode, coordinator, practitioner, teams
):
    nurse = factories.UserFactory(role="lit_practitioner", discipline="nurse", team=teams["newfield-house"])
    client.force_login(coordinator)
    url = reverse("caseload:episode_reallocate", args=[active_episode.pk])
    page = page_text(client.post(url, {"practitioner": nurse.pk, "role": "keyworker", "version": 1}))
    assert "changed by someone else since you opened it" in page
    assert "Keyworker now" in page and escape(practitioner.full_name) in page
    assert f'name="version" value="{active_episode.version}"' in page
    response = client.post(url, {"practitioner": nurse.pk, "role": "keyworker", "version": active_episode.version})
    assert response.status_code == 302
    assert Allocation.objects.get(episode=active_episode, ended_at=None).practitioner == nurse


# Closing an episode ---------------------------------------------------------------------------------


def close_data(episode, **overrides):
    return {
        "version": episode.version,
        "sequel": "no_ongoing_support",
        "closure_reason": "Goals met",
        "hours_per_week": "0",
        "calls_per_day": "0",
        "carers_per_call": "0",
        "provider_type": "none",
        **overrides,
    }


def test_closing_without_sequel_package_or_goal_outcomes_is_refused_with_an_error_summary(
    client, active_episode, practitioner
):
    goal = services.goal_add(actor=practitioner, episode=active_episode, text="Make my own breakfast")
    active_episode.refresh_from_db()  # a new goal raised the episode's version
    client.force_login(practitioner)
    url = reverse("caseload:episode_close", args=[active_episode.pk])
    page = page_text(client.post(url, {"version": active_episode.version}))
    assert "nhsuk-error-summary" in page and "<title>Error:" in page
    assert 'href="#sequel"' in page and 'id="sequel-error"' in page
    assert f'id="goal_{goal.pk}-error"' in page
    assert "Record the care package the person has at the end of the episode" in page
    active_episode.refresh_from_db()
    goal.refresh_from_db()
    assert active_episode.status == EpisodeStatus.ACTIVE and goal.status == GoalStatus.OPEN
    assert not CarePackage.objects.exists()


def test_a_half_filled_closing_package_is_refused_field_by_field(client, active_episode, practitioner):
    client.force_login(practitioner)
    url = reverse("caseload:episode_close", args=[active_episode.pk])
    page = page_text(client.post(url, close_data(active_episode, calls_per_day="", provider_type="")))
    assert 'id="calls_per_day-error"' in page and 'id="provider_type-error"' in page
    active_episode.refresh_from_db()
    assert active_episode.status == EpisodeStatus.ACTIVE


def test_closing_with_sequel_package_and_goal_outcomes(client, active_episode, practitioner):
    goal = services.goal_add(actor=practitioner, episode=active_episode, text="Make my own breakfast")
    active_episode.refresh_from_db()  # a new goal raised the episode's version
    client.force_login(practitioner)
    url = reverse("caseload:episode_close", args=[active_episode.pk])
    response = client.post(url, close_data(active_episode, **{f"goal_{goal.pk}": "achieved"}), follow=True)
    assert "Episode closed for" in page_text(response)
    active_episode.refresh_from_db()
    goal.refresh_from_db()
    assert active_episode.status == EpisodeStatus.CLOSED and active_episode.sequel == Sequel.NO_ONGOING_SUPPORT
    assert goal.status == GoalStatus.ACHIEVED
    assert active_episode.packages.get(stage="end").provider_type == "none"


def test_closing_a_changed_episode_says_so_with_the_current_values(client, active_episode, practitioner):
    client.force_login(practitioner)
    url = reverse("caseload:episode_close", args=[active_episode.pk])
    page = page_text(client.post(url, close_data(active_episode, version=active_episode.version - 1)))
    assert "changed by someone else since you opened it" in page
    assert "Status now" in page and "Active" in page
    assert f'name="version" value="{active_episode.version}"' in page
    active_episode.refresh_from_db()
    assert active_episode.status == EpisodeStatus.ACTIVE


# Search ---------------------------------------------------------------------------------------------


def test_search_finds_a_patient_by_nhs_number_with_any_spacing(client, practitioner, patient):
    client.force_login(practitioner)
    digits = patient.nhs_number
    for typed in (digits, f"{digits[:3]} {digits[3:6]} {digits[6:]}", f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"):
        response = client.get(reverse("caseload:search"), {"q": typed})
        assert list(response.context["page"].object_list) == [patient], typed


def test_search_finds_a_patient_by_name_and_date_of_birth(client, practitioner, teams):
    edna = factories.PatientFactory(given_name="Edna", family_name="Ashworth", date_of_birth=datetime.date(1938, 5, 1))
    factories.PatientFactory(given_name="Edna", family_name="Ashworth", date_of_birth=datetime.date(1950, 1, 2))
    client.force_login(practitioner)
    response = client.get(
        reverse("caseload:search"),
        {"q": "edna ashworth", "date_of_birth_day": "1", "date_of_birth_month": "5", "date_of_birth_year": "1938"},
    )
    assert list(response.context["page"].object_list) == [edna]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"q": "999 000 0019"}, "q", "check digit is wrong"),
        (
            {"q": "smith", "date_of_birth_day": "31", "date_of_birth_month": "2", "date_of_birth_year": "1940"},
            "date_of_birth",
            "must be a real date",
        ),
        (
            {"q": "smith", "date_of_birth_day": "3", "date_of_birth_year": "1940"},
            "date_of_birth",
            "must include a month",
        ),
    ],
)
def test_bad_search_input_shows_the_field_error(client, practitioner, query, field, message):
    client.force_login(practitioner)
    page = page_text(client.get(reverse("caseload:search"), query))
    assert f'id="{field}-error"' in page and message in page


def test_a_search_with_no_match_offers_to_add_the_patient(client, practitioner, patient):
    client.force_login(practitioner)
    page = page_text(client.get(reverse("caseload:search"), {"q": "Zzyzx"}))
    assert "No patients found" in page and reverse("caseload:patient_create") in page


# New patient and new episode ------------------------------------------------------------------------


def patient_data(**overrides):
    return {
        "nhs_number": "999 000 0018",
        "given_name": "Edna",
        "family_name": "Test",
        "date_of_birth_day": "1",
        "date_of_birth_month": "5",
        "date_of_birth_year": "1938",
        "sex": "female",
        "postcode": "cv2 4aa",
        "consent_to_share": "yes",
        "lives_alone": "yes",
        **overrides,
    }


def test_adding_a_patient(client, coordinator, teams):
    client.force_login(coordinator)
    response = client.post(reverse("caseload:patient_create"), patient_data(), follow=True)
    patient = Patient.objects.get(given_name="Edna")
    assert response.redirect_chain[-1][0] == reverse("caseload:patient_detail", args=[patient.pk])
    assert patient.nhs_number == "9990000018" and patient.team == teams["opal-centre"] and patient.lives_alone


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"nhs_number": "999 000 0019"}, "nhs_number", "check digit is wrong"),
        ({"nhs_number": "12345"}, "nhs_number", "10 digits"),
        ({"nhs_number": "", "nhs_number_unknown_reason": ""}, "nhs_number", "say why it is not known"),
        ({"postcode": "CV99 ZZZZ"}, "postcode", "real UK postcode"),
        ({"date_of_birth_year": str(datetime.date.today().year + 1)}, "date_of_birth", "cannot be in the future"),
        ({"date_of_birth_day": "30", "date_of_birth_month": "2"}, "date_of_birth", "must be a real date"),
        ({"gp_practice_code": "12345"}, "gp_practice_code", "ODS code"),
        ({"given_name": ""}, "given_name", "Enter the person's first name"),
        ({"consent_to_share": ""}, "consent_to_share", "consented to share"),
        ({"team": "x"}, "team", "valid choice"),
    ],
)
def test_bad_patient_details_show_the_field_error_and_write_nothing(
    client, coordinator, teams, overrides, field, message
):
    client.force_login(coordinator)
    response = client.post(reverse("caseload:patient_create"), patient_data(**overrides))
    page = page_text(response)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page and escape(message) in page and f'href="#{field}"' in page
    assert not Patient.objects.filter(given_name="Edna").exists()


def test_a_likely_duplicate_must_be_confirmed_as_a_different_person(client, coordinator, teams):
    existing = factories.PatientFactory(given_name="Edna", family_name="Test", date_of_birth=datetime.date(1938, 5, 1))
    client.force_login(coordinator)
    url = reverse("caseload:patient_create")
    page = page_text(client.post(url, patient_data(nhs_number="") | {"nhs_number_unknown_reason": "Not given"}))
    assert "This person may already be on record" in page
    assert reverse("caseload:patient_detail", args=[existing.pk]) in page
    assert 'name="not_a_duplicate"' in page
    assert Patient.objects.filter(given_name="Edna").count() == 1
    data = patient_data(nhs_number="", nhs_number_unknown_reason="Not given", duplicates_shown="1")
    page = page_text(client.post(url, data))
    assert 'id="not_a_duplicate-error"' in page
    assert Patient.objects.filter(given_name="Edna").count() == 1
    client.post(url, data | {"not_a_duplicate": "on"})
    assert Patient.objects.filter(given_name="Edna").count() == 2


def episode_data(**overrides):
    return posted(
        {
            "service": "step_up_reablement",
            "source": "gp",
            "priority": "high",
            "received_at": timezone.localtime() - HOUR,
            "discipline_needed": "ot",
            "reason": "Fall at home",
            **overrides,
        }
    )


def test_opening_an_episode_puts_it_on_the_triage_board(client, practitioner, patient):
    client.force_login(practitioner)
    response = client.post(reverse("caseload:episode_create", args=[patient.pk]), episode_data(), follow=True)
    episode = Episode.objects.get()
    assert response.redirect_chain[-1][0] == reverse("caseload:episode_detail", args=[episode.pk])
    assert episode.status == EpisodeStatus.AWAITING_ALLOCATION and episode.team == patient.team
    assert f'id="triage-{episode.pk}"' in page_text(client.get(reverse("caseload:triage")))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"received_at": timezone.localtime() + 3 * HOUR}, "received_at", "in the future"),
        ({"received_at_day": "yesterday"}, "received_at", "the day must be a number from 1 to 31"),
        (
            {"received_at_minute": ""},
            "received_at",
            "The date and time the referral was received must include a minute",
        ),
        ({"service": ""}, "service", "Choose the service"),
        ({"priority": "whenever"}, "priority", "valid choice"),
    ],
)
def test_bad_episode_details_show_the_field_error_and_write_nothing(
    client, practitioner, patient, overrides, field, message
):
    client.force_login(practitioner)
    page = page_text(client.post(reverse("caseload:episode_create", args=[patient.pk]), episode_data(**overrides)))
    assert f'id="{field}-error"' in page and message in page
    assert not Episode.objects.exists()


def test_a_second_open_episode_of_the_same_service_is_refused(client, practitioner, patient, coordinator):
    open_episode(coordinator, patient, service="step_up_reablement")
    client.force_login(practitioner)
    page = page_text(client.post(reverse("caseload:episode_create", args=[patient.pk]), episode_data()))
    assert 'id="service-error"' in page and "already has an open" in page
    assert Episode.objects.count() == 1
