"""The referral screens and the discharge: who may see and do what, that ward staff never see another ward's
referrals, that each refusal is shown beside its field with nothing written, that htmx decisions update the pull
list in place, and that the lists cost a fixed number of queries whatever their rows."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from caseload.models import Episode, EpisodeStatus
from discharge import services as discharge_services
from discharge.models import Spell
from ocit.models import AccessLog
from referrals import services, views
from referrals.models import DecisionStandard, Referral, ReferralStatus
from tests import factories
from tests.date_input import boxes, posted
from tests.lookups import slow_lookups

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
ROLES = ["practitioner", "coordinator", "ward_nurse", "board_member", "sysadmin"]


def page_text(response):
    return response.content.decode()


def htmx_post(client, url, data):
    return client.post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="x")


def htmx_get(client, url, data=None, current="/referrals/pull-list/?lit=all"):
    return client.get(url, data, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{current}")


def admit(actor, ward, days_ago=4, **patient):
    return discharge_services.spell_admit(
        actor=actor, patient=factories.PatientFactory(**patient), ward=ward, admitted_at=timezone.now() - days_ago * DAY
    )


def refer(actor, spell, urgency="high", received_at=None):
    return services.referral_raise(
        actor=actor,
        patient=spell.patient,
        spell=spell,
        source="ward",
        referrer_name="Sam Nurse",
        referrer_role="Staff nurse",
        reason="Needs help at home to get washed and dressed",
        requested_service="step_down_reablement",
        urgency=urgency,
        received_at=received_at,
    )


@pytest.fixture
def spell(ward_a, ward_nurse, teams):
    return admit(ward_nurse, ward_a, family_name="Ownward")


@pytest.fixture
def referral(spell, ward_nurse):
    return refer(ward_nurse, spell)


@pytest.fixture
def other_referral(ward_b, coordinator):
    return refer(coordinator, admit(coordinator, ward_b, family_name="Otherward"))


def status_of(referral):
    return Referral.objects.get(pk=referral.pk).status


# Who may see each page ------------------------------------------------------------------------------

PAGES = {
    # name: (argument, roles allowed)
    "referrals:list": (None, {"practitioner", "coordinator", "ward_nurse"}),
    "referrals:pull_list": (None, {"practitioner", "coordinator"}),
    "referrals:pull_list_not_referred": (None, {"practitioner", "coordinator"}),
    "referrals:pull_list_in_hospital": (None, {"practitioner", "coordinator"}),
    "referrals:raise": ("spell", {"practitioner", "coordinator", "ward_nurse"}),
    "referrals:detail": ("referral", {"practitioner", "coordinator", "ward_nurse"}),
    "referrals:discharge": ("spell", {"practitioner", "coordinator", "ward_nurse"}),
}


@pytest.mark.parametrize(
    ("name", "role", "allowed"), [(name, role, role in PAGES[name][1]) for name in PAGES for role in ROLES]
)
def test_each_page_follows_the_role_table(request, client, referral, name, role, allowed):
    client.force_login(request.getfixturevalue(role))
    owner = PAGES[name][0]
    args = [referral.spell_id] if owner == "spell" else [referral.pk] if owner == "referral" else []
    assert client.get(reverse(name, args=args)).status_code == (200 if allowed else 403)


DECISIONS = {
    "referrals:accept": {},
    "referrals:decline": {"reason": "Needs are health-only"},
    "referrals:redirect": {"to_where": "District nursing"},
}


def decision_data(name, referral, values=None):
    action = name.split(":")[1]
    return {f"{action}-{referral.pk}-{key}": value for key, value in (values or DECISIONS.get(name, {})).items()}


@pytest.mark.parametrize(
    ("name", "role"), [(name, role) for name in DECISIONS for role in ("ward_nurse", "board_member", "sysadmin")]
)
def test_only_lit_staff_decide(request, client, referral, name, role):
    client.force_login(request.getfixturevalue(role))
    response = client.post(reverse(name, args=[referral.pk]), decision_data(name, referral))
    assert response.status_code == 403
    assert status_of(referral) == ReferralStatus.RECEIVED


@pytest.mark.parametrize("role", ["ward_nurse", "board_member", "sysadmin"])
def test_only_lit_staff_fetch_the_decision_forms(request, client, referral, role):
    client.force_login(request.getfixturevalue(role))
    url = reverse("referrals:decision_form", args=[referral.pk])
    assert htmx_get(client, url, {"move": "decline"}).status_code == 403
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["board_member", "sysadmin"])
def test_only_ward_and_lit_staff_withdraw(request, client, referral, role):
    client.force_login(request.getfixturevalue(role))
    url = reverse("referrals:withdraw", args=[referral.pk])
    assert client.post(url, {f"withdraw-{referral.pk}-reason": "Died"}).status_code == 403
    assert status_of(referral) == ReferralStatus.RECEIVED


def test_ward_staff_never_reach_another_wards_referral(client, ward_nurse, referral, other_referral):
    client.force_login(ward_nurse)
    assert client.get(reverse("referrals:detail", args=[other_referral.pk])).status_code == 404
    url = reverse("referrals:withdraw", args=[other_referral.pk])
    assert client.post(url, {f"withdraw-{other_referral.pk}-reason": "Died"}).status_code == 404
    assert client.get(reverse("referrals:raise", args=[other_referral.spell_id])).status_code == 404
    assert client.get(reverse("referrals:discharge", args=[other_referral.spell_id])).status_code == 404
    response = client.get(reverse("referrals:list"))
    page = page_text(response)
    assert "OWNWARD" in page and "OTHERWARD" not in page and "Ward 22" not in page
    assert [row["referral"].pk for row in response.context["rows"]] == [referral.pk]
    assert status_of(other_referral) == ReferralStatus.RECEIVED


def test_ward_staff_cannot_discharge_another_wards_patient(client, ward_nurse, other_referral):
    client.force_login(ward_nurse)
    response = client.post(
        reverse("referrals:discharge", args=[other_referral.spell_id]),
        {"version": 1, **boxes("discharged_at", timezone.localtime()), "pathway": 0},
    )
    assert response.status_code == 404
    assert Spell.objects.get(pk=other_referral.spell_id).discharged_at is None


def test_navigation_offers_the_pull_list_to_lit_staff_and_referrals_to_ward_staff(
    client, coordinator, ward_nurse, board_member
):
    client.force_login(coordinator)
    labels = [item["label"] for item in client.get(reverse("referrals:pull_list")).context["navigation"]]
    assert "Pull list" in labels and "Referrals" in labels
    current = [
        item["label"] for item in client.get(reverse("referrals:pull_list")).context["navigation"] if item["current"]
    ]
    assert current == ["Pull list"]
    client.force_login(ward_nurse)
    labels = [item["label"] for item in client.get(reverse("referrals:list")).context["navigation"]]
    assert "Referrals" in labels and "Pull list" not in labels


# Raise a referral -----------------------------------------------------------------------------------


def raise_data(**overrides):
    return {
        "reason": "Lives alone; needs help to wash and dress since the fall",
        "what_matters": "Getting back to my allotment",
        "requested_service": "step_down_reablement",
        "urgency": "high",
        "referrer_name": "Sam Nurse",
        "referrer_role": "Staff nurse",
        "referrer_contact": "Bleep 2231",
        **overrides,
    }


def test_the_raise_form_shows_the_patient_and_asks_only_what_the_record_cannot_know(client, ward_nurse, spell):
    client.force_login(ward_nurse)
    response = client.get(reverse("referrals:raise", args=[spell.pk]))
    page = page_text(response)
    assert spell.patient.nhs_number_display in page and spell.patient.postcode in page
    for name in ("nhs_number", "date_of_birth", "postcode", "given_name"):
        assert f'name="{name}"' not in page
    form = response.context["form"]
    assert form["referrer_name"].value() == ward_nurse.full_name
    assert form["referrer_contact"].value() == ward_nurse.email
    assert form["requested_service"].value() == "step_down_reablement"


def test_a_ward_nurse_raises_a_referral(client, ward_nurse, spell):
    client.force_login(ward_nurse)
    response = client.post(reverse("referrals:raise", args=[spell.pk]), raise_data())
    referral = Referral.objects.get()
    assert response.status_code == 302 and response.url == reverse("referrals:detail", args=[referral.pk])
    assert referral.spell == spell and referral.patient == spell.patient and referral.source == "ward"
    assert referral.raised_by == ward_nurse and referral.what_matters == "Getting back to my allotment"
    page = page_text(client.get(response.url))
    assert "Referral sent for" in page and "The LIT will decide by" in page


def test_a_referral_needs_a_reason(client, ward_nurse, spell):
    client.force_login(ward_nurse)
    response = client.post(reverse("referrals:raise", args=[spell.pk]), raise_data(reason="", referrer_name=""))
    page = page_text(response)
    assert response.status_code == 200 and "<title>Error:" in page
    assert '<a href="#reason">Enter why the patient needs OCIT</a>' in page
    assert '<a href="#referrer_name">Enter your name</a>' in page
    assert not Referral.objects.exists()


def test_a_second_open_referral_for_the_stay_is_refused(client, ward_nurse, spell, referral):
    client.force_login(ward_nurse)
    assert "already has an open referral" in page_text(client.get(reverse("referrals:raise", args=[spell.pk])))
    response = client.post(reverse("referrals:raise", args=[spell.pk]), raise_data())
    page = page_text(response)
    assert response.status_code == 200 and "This hospital stay already has an open referral." in page
    assert "nhsuk-error-summary" in page
    assert Referral.objects.count() == 1


def test_a_patient_without_an_nhs_number_cannot_be_referred(client, ward_nurse, spell):
    spell.patient.nhs_number = None
    spell.patient.nhs_number_unknown_reason = "Unconscious on arrival"
    spell.patient.save()
    client.force_login(ward_nurse)
    response = client.post(reverse("referrals:raise", args=[spell.pk]), raise_data())
    assert "NHS number is needed" in page_text(response)
    assert not Referral.objects.exists()


def test_an_unknown_urgency_is_refused(client, ward_nurse, spell):
    client.force_login(ward_nurse)
    response = client.post(reverse("referrals:raise", args=[spell.pk]), raise_data(urgency="whenever"))
    assert "Select a valid choice" in page_text(response) or "urgency" in response.context["form"].errors
    assert not Referral.objects.exists()


# Referrals list ---------------------------------------------------------------------------------------


def test_ward_staff_see_the_status_of_their_wards_referrals(client, ward_nurse, coordinator, referral):
    services.referral_accept(actor=coordinator, referral=referral)
    client.force_login(ward_nurse)
    page = page_text(client.get(reverse("referrals:list")))
    assert "Referrals from my wards" in page and "Accepted" in page and escape(coordinator.full_name) in page


def test_an_empty_referrals_list_says_how_to_refer(client, ward_nurse):
    client.force_login(ward_nurse)
    assert "Refer to OCIT" in page_text(client.get(reverse("referrals:list")))


# Pull list --------------------------------------------------------------------------------------------


def test_the_pull_list_shows_undecided_first_with_the_decision_clock(client, coordinator, ward_a, ward_nurse):
    now = timezone.now()
    late = refer(ward_nurse, admit(ward_nurse, ward_a, family_name="Late"), received_at=now - 5 * HOUR)
    soon = refer(ward_nurse, admit(ward_nurse, ward_a, family_name="Soon"), received_at=now - 3 * HOUR)
    accepted = refer(ward_nurse, admit(ward_nurse, ward_a, family_name="Taken"), received_at=now - 6 * HOUR)
    services.referral_accept(actor=coordinator, referral=accepted)
    client.force_login(coordinator)
    response = client.get(reverse("referrals:pull_list"))
    page = page_text(response)
    assert [row["referral"].pk for row in response.context["rows"]] == [late.pk, soon.pk, accepted.pk]
    assert "Overdue by 1 h" in page  # high urgency: 4 hours to decide
    assert "59 min left" in page or "1 h left" in page
    assert f"Accepted by {escape(coordinator.full_name)} at" in page


def test_the_pull_and_referral_lists_rows_read_only_what_each_row_has(
    client, coordinator, ward_a, ward_nurse, monkeypatch
):
    refer(ward_nurse, admit(ward_nurse, ward_a, family_name="Open"))
    accepted = refer(ward_nurse, admit(ward_nurse, ward_a, family_name="Taken"))
    services.referral_accept(actor=coordinator, referral=accepted)
    client.force_login(coordinator)
    for name in ("referrals:pull_list", "referrals:list"):
        with slow_lookups(monkeypatch) as names:
            response = client.get(reverse(name))
        assert len(response.context["rows"]) == 2
        assert [name for name in names if name.startswith(("row", "clock"))] == [], name


def test_the_pull_list_defaults_to_the_users_lit_and_can_show_all(client, coordinator, ward_a, ward_nurse, teams):
    mine = refer(ward_nurse, admit(ward_nurse, ward_a, team=teams["newfield-house"]))
    theirs = refer(ward_nurse, admit(ward_nurse, ward_a, team=teams["tile-hill"]))
    client.force_login(coordinator)
    default = client.get(reverse("referrals:pull_list"))
    assert default.context["team"] == teams["newfield-house"]
    assert [row["referral"] for row in default.context["rows"]] == [mine]
    every = client.get(reverse("referrals:pull_list"), {"lit": "all"})
    assert {row["referral"] for row in every.context["rows"]} == {mine, theirs}
    tile_hill = client.get(reverse("referrals:pull_list"), {"lit": "tile-hill"})
    assert [row["referral"] for row in tile_hill.context["rows"]] == [theirs]
    assert client.get(reverse("referrals:pull_list"), {"lit": "nowhere"}).status_code == 404


def test_the_pull_list_says_which_lits_it_shows_and_how_many_are_left_out(
    client, coordinator, ward_a, ward_nurse, teams
):
    refer(ward_nurse, admit(ward_nurse, ward_a, team=teams["newfield-house"]))
    for _ in range(2):
        refer(ward_nurse, admit(ward_nurse, ward_a, team=teams["tile-hill"]))
    client.force_login(coordinator)
    page = page_text(client.get(reverse("referrals:pull_list")))
    assert "<h1>Pull list: Newfield House LIT only</h1>" in page
    assert "The other LITs’ patients are not shown: 2 more referrals await a decision." in page
    assert "1 awaits a decision" in page
    every = page_text(client.get(reverse("referrals:pull_list"), {"lit": "all"}))
    assert "<h1>Pull list: all three LITs</h1>" in every and "not shown" not in every


def test_pull_list_rows_show_the_reason_and_what_the_urgency_means(client, coordinator, ward_a, ward_nurse):
    spell = admit(ward_nurse, ward_a)
    services.referral_raise(
        actor=ward_nurse,
        patient=spell.patient,
        spell=spell,
        source="ward",
        referrer_name="Sam Nurse",
        reason="Two falls on the ward; lives alone up a flight of stairs\nSee the OT notes for the home visit",
        what_matters="Getting back to her allotment",
        requested_service="step_down_reablement",
        urgency="urgent",
    )
    client.force_login(coordinator)
    page = page_text(client.get(reverse("referrals:pull_list"), {"lit": "all"}))
    assert "Two falls on the ward; lives alone up a flight of stairs" in page
    assert "See the OT notes" not in page  # the first line only
    assert "What matters: Getting back to her allotment" in page
    hours = DecisionStandard.objects.get(urgency="urgent").hours
    assert f'Urgent<span class="app-meta app-block app-nowrap">decide within {hours} h</span>' in page


def test_the_pull_list_shows_the_localitys_patients_in_hospital_most_delayed_first(
    client, coordinator, ward_a, ward_nurse, teams
):
    today = timezone.localdate()
    waiting = admit(ward_nurse, ward_a, family_name="Waiting", team=teams["newfield-house"])
    ready = admit(ward_nurse, ward_a, family_name="Readiest", team=teams["newfield-house"])
    admit(ward_nurse, ward_a, family_name="Elsewhere", team=teams["tile-hill"])
    discharge_services.nctr_start(actor=ward_nurse, spell=ready, started_on=today - 2 * DAY)
    client.force_login(coordinator)
    response = client.get(reverse("referrals:pull_list_in_hospital"))
    assert [row["spell"] for row in response.context["spell_rows"]] == [ready, waiting]
    page = page_text(response)
    assert "In hospital now" in page and "2 days" in page and "ELSEWHERE" not in page
    assert "Back to the pull list" in page and "<h1>Pull list: Newfield House LIT only</h1>" in page
    assert AccessLog.objects.filter(actor=coordinator, patient_id=ready.patient_id).exists()


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("referrals:pull_list_not_referred", "Admitted, not yet referred"),
        ("referrals:pull_list_in_hospital", "In hospital now"),
    ],
)
def test_the_lists_below_the_referrals_are_fetched_after_the_page(
    client, coordinator, ward_a, ward_nurse, teams, name, heading
):
    spell = admit(ward_nurse, ward_a, family_name="Lower", team=teams["newfield-house"])
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as queries:
        page = page_text(client.get(reverse("referrals:pull_list"), {"lit": "all"}))
    assert '"discharge_spell"' not in " ".join(query["sql"] for query in queries)  # the page reads no stay itself
    url = reverse(name) + "?lit=all"
    assert f'hx-get="{url}" hx-trigger="load"' in page and f'href="{url}"' in page and "LOWER" not in page
    assert not AccessLog.objects.filter(patient_id=spell.patient_id).exists()
    fragment = page_text(htmx_get(client, reverse(name), {"lit": "all"}))
    assert fragment.startswith('<h2 class="nhsuk-heading-m"') and heading in fragment and "LOWER" in fragment
    assert "<html" not in fragment
    assert AccessLog.objects.filter(actor=coordinator, patient_id=spell.patient_id).exists()


@pytest.mark.parametrize(
    ("name", "size", "param", "paged", "rows"),
    [
        ("referrals:pull_list_not_referred", "TO_PULL_PAGE_SIZE", "pull_page", "to_pull", "to_pull_rows"),
        ("referrals:pull_list_in_hospital", "SPELLS_PAGE_SIZE", "spells_page", "spells", "spell_rows"),
    ],
)
def test_the_lists_below_the_referrals_page_and_count_in_one_query(
    client, coordinator, ward_a, ward_nurse, teams, monkeypatch, name, size, param, paged, rows
):
    monkeypatch.setattr(views, size, 2)
    spells = {admit(ward_nurse, ward_a, days_ago=n, team=teams["newfield-house"]) for n in range(1, 6)}
    client.force_login(coordinator)

    def page(number):
        response = htmx_get(client, reverse(name), {param: number})
        return response.context[paged], response.context[rows]

    shown = []
    for number in (1, 2, 3):
        one, page_rows = page(number)
        assert one.paginator.count == 5 and one.paginator.num_pages == 3 and one.number == number
        shown += [row["spell"] for row in page_rows]
    assert set(shown) == spells and len(shown) == 5
    # Past the last page, the last (however far past); not a number, the first.
    assert page(9)[0].number == page("99999999999999999999")[0].number == page(0)[0].number == 3
    assert page("x")[0].number == 1
    with CaptureQueriesContext(connection) as queries:
        page(2)
    assert [q for q in queries if q["sql"].startswith("SELECT COUNT(")] == []


def test_an_empty_pull_list_says_what_happens_next(client, coordinator):
    client.force_login(coordinator)
    page = page_text(client.get(reverse("referrals:pull_list")))
    assert "nothing is waiting to be pulled" in page and "Show all three LITs" in page


def test_pull_list_rows_offer_accept_and_fetch_the_other_decisions_on_demand(client, coordinator, referral):
    client.force_login(coordinator)
    response = client.get(reverse("referrals:pull_list"))
    page = page_text(response)
    assert response.context["rows"][0]["decide"] and response.context["rows"][0]["forms"] == {}
    assert f'hx-post="{reverse("referrals:accept", args=[referral.pk])}"' in page
    fragment = reverse("referrals:decision_form", args=[referral.pk])
    detail = reverse("referrals:detail", args=[referral.pk])
    for move in ("decline", "redirect"):
        assert f'<a href="{detail}#decide" hx-get="{fragment}?move={move}"' in page
    assert f'name="decline-{referral.pk}-reason"' not in page and f'name="redirect-{referral.pk}-to_where"' not in page


def test_the_decision_forms_are_fetched_into_the_row(client, coordinator, referral):
    client.force_login(coordinator)
    url = reverse("referrals:decision_form", args=[referral.pk])
    response = htmx_get(client, url, {"move": "redirect"}, current="/referrals/pull-list/?lit=all&page=2")
    body = page_text(response)
    assert response.status_code == 200 and "<html" not in body
    assert response["Vary"] == "HX-Request, Cookie"
    assert f'hx-post="{reverse("referrals:decline", args=[referral.pk])}"' in body
    assert f'hx-post="{reverse("referrals:redirect", args=[referral.pk])}"' in body
    assert body.count(f'hx-target="#referral-{referral.pk}"') == 2
    assert (
        f'<label class="nhsuk-label" for="decline-{referral.pk}-reason">Why is the referral declined?</label>' in body
    )
    assert f'<label class="nhsuk-label" for="redirect-{referral.pk}-to_where">Redirect to</label>' in body
    assert body.count("<details") == 2 and body.count(" open>") == 1  # the redirect form, focused
    assert re.search(rf'<input [^>]*autofocus[^>]* id="redirect-{referral.pk}-to_where"', body)
    assert body.count("autofocus") == 1
    assert body.count('name="next" value="/referrals/pull-list/?lit=all&amp;page=2"') == 2
    assert reverse("referrals:accept", args=[referral.pk]) not in body  # the row has it already
    assert reverse("referrals:withdraw", args=[referral.pk]) not in body
    assert status_of(referral) == ReferralStatus.RECEIVED


def test_without_javascript_the_decision_forms_are_on_the_referral_page(client, coordinator, referral):
    client.force_login(coordinator)
    response = client.get(reverse("referrals:decision_form", args=[referral.pk]), {"move": "decline"})
    assert response.status_code == 302
    assert response.url == reverse("referrals:detail", args=[referral.pk]) + "#decide"
    page = page_text(client.get(response.url))
    assert 'id="decide"' in page and f'name="decline-{referral.pk}-reason"' in page


def test_the_decision_forms_of_a_referral_decided_since_replace_its_row(client, coordinator, practitioner, referral):
    services.referral_accept(actor=practitioner, referral=referral)
    client.force_login(coordinator)
    response = htmx_get(client, reverse("referrals:decision_form", args=[referral.pk]), {"move": "decline"})
    body = page_text(response)
    assert response["HX-Retarget"] == f"#referral-{referral.pk}" and response["HX-Reswap"] == "outerHTML"
    assert body.lstrip().startswith(f'<tr class="nhsuk-table__row app-row--error" id="referral-{referral.pk}"')
    assert f"already accepted by {escape(practitioner.full_name)}" in body and "app-row-error" in body
    assert "<details" not in body and reverse("referrals:accept", args=[referral.pk]) not in body


def test_the_decision_forms_of_an_unknown_referral_are_not_found_and_only_fetched(client, coordinator, referral):
    client.force_login(coordinator)
    assert htmx_get(client, reverse("referrals:decision_form", args=[referral.pk + 1000])).status_code == 404
    assert htmx_post(client, reverse("referrals:decision_form", args=[referral.pk]), {}).status_code == 405


def test_the_decision_forms_cost_a_fixed_number_of_queries(
    client, coordinator, ward_a, ward_nurse, referral, django_assert_num_queries
):
    fill(ward_nurse, coordinator, ward_a, 5)
    client.force_login(coordinator)
    # The session, the user, the referral with its patient, LIT, stay and ward; the session saved (in a savepoint).
    with django_assert_num_queries(6):
        assert htmx_get(client, reverse("referrals:decision_form", args=[referral.pk])).status_code == 200


def test_declining_from_the_fetched_form_takes_the_row_off_the_list(client, coordinator, referral):
    client.force_login(coordinator)
    body = page_text(htmx_get(client, reverse("referrals:decision_form", args=[referral.pk]), {"move": "decline"}))
    assert f'hx-post="{reverse("referrals:decline", args=[referral.pk])}"' in body
    response = htmx_post(
        client, reverse("referrals:decline", args=[referral.pk]), {f"decline-{referral.pk}-reason": "Health-only"}
    )
    assert f'id="referral-{referral.pk}"' not in page_text(response) and "declined" in page_text(response)
    assert status_of(referral) == ReferralStatus.DECLINED


def test_accepting_with_htmx_updates_the_row_in_place(client, coordinator, referral):
    client.force_login(coordinator)
    response = htmx_post(client, reverse("referrals:accept", args=[referral.pk]), {"next": "/referrals/pull-list/"})
    body = page_text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr class="nhsuk-table__row" id="referral-{referral.pk}"')
    assert "Referral accepted" in body and f"Accepted by {escape(coordinator.full_name)}" in body
    assert "<html" not in body and reverse("referrals:accept", args=[referral.pk]) not in body
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.decided_by == coordinator
    assert referral.episode.status == EpisodeStatus.AWAITING_ALLOCATION
    assert reverse("caseload:episode_detail", args=[referral.episode_id]) in body


def test_accepting_without_javascript_redirects_back_with_a_message(client, coordinator, referral):
    client.force_login(coordinator)
    back = reverse("referrals:pull_list") + "?lit=all"
    response = client.post(reverse("referrals:accept", args=[referral.pk]), {"next": back})
    assert response.status_code == 302 and response.url == back
    assert "Referral accepted" in page_text(client.get(back))
    assert status_of(referral) == ReferralStatus.ACCEPTED


def test_a_next_url_elsewhere_is_ignored(client, coordinator, referral):
    client.force_login(coordinator)
    response = client.post(reverse("referrals:accept", args=[referral.pk]), {"next": "https://evil.example/"})
    assert response.url == reverse("referrals:detail", args=[referral.pk])


def test_a_lost_race_says_who_accepted_first_and_when(client, coordinator, practitioner, referral):
    services.referral_accept(actor=practitioner, referral=referral)
    referral.refresh_from_db()
    when = timezone.localtime(referral.decided_at)
    client.force_login(coordinator)
    response = htmx_post(client, reverse("referrals:accept", args=[referral.pk]), {})
    body = page_text(response)
    assert response.status_code == 200 and f'id="referral-{referral.pk}"' in body
    assert f"already accepted by {escape(practitioner.full_name)} at {when:%H:%M}" in body
    assert "app-row-error" in body and reverse("referrals:accept", args=[referral.pk]) not in body
    assert Episode.objects.count() == 1


def test_declining_needs_a_reason_beside_the_field_and_writes_nothing(client, coordinator, referral):
    client.force_login(coordinator)
    url = reverse("referrals:decline", args=[referral.pk])
    body = page_text(htmx_post(client, url, {f"decline-{referral.pk}-reason": " "}))
    assert "Give the reason" in body and f'id="decline-{referral.pk}-reason-error"' in body
    assert '<details class="nhsuk-details app-decision" open>' in body and "autofocus" not in body
    assert reverse("referrals:accept", args=[referral.pk]) in body  # still undecided: Accept stays in the row
    response = client.post(url, {f"decline-{referral.pk}-reason": ""})
    page = page_text(response)
    assert response.status_code == 200 and "<title>Error:" in page
    assert f'<a href="#decline-{referral.pk}-reason">Give the reason</a>' in page
    assert status_of(referral) == ReferralStatus.RECEIVED


def test_declining_with_htmx_takes_the_row_off_the_list(client, coordinator, referral):
    client.force_login(coordinator)
    response = htmx_post(
        client,
        reverse("referrals:decline", args=[referral.pk]),
        {f"decline-{referral.pk}-reason": "Needs are health-only", f"decline-{referral.pk}-outcome": "District nurses"},
    )
    body = page_text(response)
    assert f'id="referral-{referral.pk}"' not in body
    assert 'hx-swap-oob="innerHTML"' in body and "declined" in body
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED and referral.outcome == "District nurses"


def test_redirecting_says_where_to(client, coordinator, referral):
    client.force_login(coordinator)
    url = reverse("referrals:redirect", args=[referral.pk])
    assert "Say where the patient was redirected to" in page_text(client.post(url, {}))
    assert status_of(referral) == ReferralStatus.RECEIVED
    client.post(url, {f"redirect-{referral.pk}-to_where": "District nursing"})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REDIRECTED and referral.redirected_to == "District nursing"


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("referrals:accept", {}),
        ("referrals:decline", {"reason": "Too late"}),
        ("referrals:redirect", {"to_where": "GP"}),
    ],
)
def test_a_decision_on_a_decided_referral_is_refused(client, coordinator, referral, name, values):
    services.referral_decline(actor=coordinator, referral=referral, reason="Needs are health-only")
    client.force_login(coordinator)
    response = client.post(reverse(name, args=[referral.pk]), decision_data(name, referral, values))
    page = page_text(response)
    assert response.status_code == 200 and "nhsuk-error-summary" in page
    assert "already declined by" in page
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED and referral.decision_reason == "Needs are health-only"
    assert not Episode.objects.exists()


def test_ward_staff_withdraw_their_own_wards_referral(client, ward_nurse, referral):
    client.force_login(ward_nurse)
    url = reverse("referrals:withdraw", args=[referral.pk])
    assert "Give the reason" in page_text(client.post(url, {f"withdraw-{referral.pk}-reason": ""}))
    assert status_of(referral) == ReferralStatus.RECEIVED
    response = client.post(url, {f"withdraw-{referral.pk}-reason": "Discharged to another area"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN and referral.decision_reason == "Discharged to another area"


def test_an_accepted_referral_is_completed_from_its_page(client, coordinator, referral):
    services.referral_accept(actor=coordinator, referral=referral)
    client.force_login(coordinator)
    assert reverse("referrals:complete", args=[referral.pk]) in page_text(
        client.get(reverse("referrals:detail", args=[referral.pk]))
    )
    client.post(reverse("referrals:complete", args=[referral.pk]), {f"complete-{referral.pk}-outcome": "Home"})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.outcome == "Home"


# Referral page ----------------------------------------------------------------------------------------


def test_the_referral_page_shows_its_decision_history_and_episode(client, coordinator, ward_nurse, referral):
    services.referral_accept(actor=coordinator, referral=referral)
    client.force_login(ward_nurse)
    response = client.get(reverse("referrals:detail", args=[referral.pk]))
    page = page_text(response)
    assert [entry["what"] for entry in response.context["history"]][:2] == ["Received", "Accepted"]
    assert escape(coordinator.full_name) in page and "Added to the shared caseload" in page
    assert "Step-down reablement (pathway 1) on the Newfield House LIT caseload" in page
    assert reverse("caseload:episode_detail", args=[referral.episode_id]) not in page  # ward staff: no caseload
    assert reverse("referrals:withdraw", args=[referral.pk]) in page
    assert reverse("referrals:accept", args=[referral.pk]) not in page
    assert AccessLog.objects.filter(patient_id=referral.patient_id, object_id=str(referral.pk)).exists()
    client.force_login(coordinator)
    page = page_text(client.get(reverse("referrals:detail", args=[referral.pk])))
    assert reverse("caseload:episode_detail", args=[referral.episode_id]) in page


# Discharge ----------------------------------------------------------------------------------------------


def discharge_data(spell, **overrides):
    return posted(
        {
            "version": spell.version,
            "discharged_at": timezone.localtime(),
            "destination": "usual_residence",
            "pathway": "1",
            **overrides,
        }
    )


def test_a_discharge_before_admission_is_refused_and_nothing_is_written(client, coordinator, spell, referral):
    client.force_login(coordinator)
    before = spell.admitted_at - DAY
    response = client.post(reverse("referrals:discharge", args=[spell.pk]), discharge_data(spell, discharged_at=before))
    page = page_text(response)
    assert response.status_code == 200 and "<title>Error:" in page
    assert '<a href="#discharged_at">The discharge cannot be before the admission.</a>' in page
    spell.refresh_from_db()
    assert spell.discharged_at is None and spell.version == 1
    assert status_of(referral) == ReferralStatus.RECEIVED and not Episode.objects.exists()


def test_a_discharge_needs_its_destination_and_a_pathway_that_goes_with_it(client, coordinator, spell):
    client.force_login(coordinator)
    url = reverse("referrals:discharge", args=[spell.pk])
    page = page_text(client.post(url, discharge_data(spell, pathway="", destination="")))
    assert "Choose where the patient went" in page
    page = page_text(client.post(url, discharge_data(spell, pathway="")))  # home, but no pathway
    assert '<a href="#pathway">Choose the discharge pathway.</a>' in page
    assert Spell.objects.get(pk=spell.pk).discharged_at is None


def test_pathway_3_must_go_to_a_care_home(client, coordinator, spell):
    client.force_login(coordinator)
    response = client.post(reverse("referrals:discharge", args=[spell.pk]), discharge_data(spell, pathway="3"))
    assert '<a href="#destination">Pathway 3 goes to: care home.</a>' in page_text(response)
    assert Spell.objects.get(pk=spell.pk).discharged_at is None


def test_a_death_in_hospital_is_refused_with_a_pathway_and_recorded_without_one(client, coordinator, spell, referral):
    client.force_login(coordinator)
    url = reverse("referrals:discharge", args=[spell.pk])
    page = page_text(client.post(url, discharge_data(spell, destination="died", pathway="1")))
    assert "A discharge to &#x27;died in hospital&#x27; has no pathway: choose &#x27;No pathway&#x27;." in page
    assert Spell.objects.get(pk=spell.pk).discharged_at is None

    response = client.post(url, discharge_data(spell, destination="died", pathway=""))

    assert response.status_code == 302
    spell.refresh_from_db()
    assert spell.destination == "died" and spell.pathway is None
    assert not Episode.objects.exists()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN and referral.decision_reason == "Died in hospital"


def test_a_pathway_1_discharge_opens_the_step_down_episode_and_links_it(client, coordinator, spell, referral):
    client.force_login(coordinator)
    response = client.post(reverse("referrals:discharge", args=[spell.pk]), discharge_data(spell))
    episode = Episode.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("referrals:discharge", args=[spell.pk]) + f"?episode={episode.pk}"
    page = page_text(client.get(response.url))
    assert "Discharge recorded for" in page and reverse("caseload:episode_detail", args=[episode.pk]) in page
    spell.refresh_from_db()
    assert spell.discharged_at is not None and spell.pathway == 1
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.episode == episode
    assert episode.service == "step_down_reablement" and episode.team == spell.patient.team


def test_a_ward_nurse_records_a_pathway_0_discharge(client, ward_nurse, spell, referral):
    client.force_login(ward_nurse)
    response = client.post(reverse("referrals:discharge", args=[spell.pk]), discharge_data(spell, pathway="0"))
    assert response.status_code == 302 and "episode" not in response.url
    assert not Episode.objects.exists()
    assert status_of(referral) == ReferralStatus.COMPLETED
    assert "Pathway 0" in page_text(client.get(response.url))


def test_a_stale_discharge_is_refused(client, coordinator, spell):
    discharge_services.spell_update(actor=coordinator, spell=spell, version=1, clinical_criteria="Changed")
    client.force_login(coordinator)
    response = client.post(reverse("referrals:discharge", args=[spell.pk]), discharge_data(spell, version="1"))
    page = page_text(response)
    assert "Changed since you opened it" in page and 'name="version" value="2"' in page
    assert Spell.objects.get(pk=spell.pk).discharged_at is None


def test_discharging_twice_is_refused(client, coordinator, spell):
    client.force_login(coordinator)
    client.post(reverse("referrals:discharge", args=[spell.pk]), discharge_data(spell, pathway="0"))
    response = client.post(reverse("referrals:discharge", args=[spell.pk]), discharge_data(spell, pathway="0"))
    assert response.status_code == 200 and "already been discharged" in page_text(response)


# Fixed query counts -------------------------------------------------------------------------------------


def fill(ward_nurse, coordinator, ward, count):
    today = timezone.localdate()
    for index in range(count):
        spell = admit(ward_nurse, ward, days_ago=index % 7 + 1)
        if index % 2:
            discharge_services.nctr_start(actor=ward_nurse, spell=spell, started_on=today - DAY)
        referral = refer(ward_nurse, spell, received_at=timezone.now() - index * HOUR)
        if index % 3 == 0:
            services.referral_accept(actor=coordinator, referral=referral)


@pytest.mark.parametrize(
    ("name", "role", "rows"),
    [
        ("referrals:pull_list", "coordinator", "rows"),
        ("referrals:pull_list_in_hospital", "coordinator", "spell_rows"),
        ("referrals:list", "ward_nurse", "rows"),
        ("referrals:list", "practitioner", "rows"),
    ],
)
def test_list_queries_do_not_grow_with_rows(
    request, client, ward_nurse, coordinator, ward_a, django_assert_num_queries, name, role, rows
):
    fill(ward_nurse, coordinator, ward_a, 3)
    client.force_login(request.getfixturevalue(role))
    url = reverse(name)
    client.get(url)  # the first request may read the reference data each process keeps (the LITs)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(url).status_code == 200
    fill(ward_nurse, coordinator, ward_a, 17)
    with django_assert_num_queries(len(baseline)):
        response = client.get(url)
    assert len(response.context[rows]) == 20


def test_the_referral_list_pages_newest_first_without_counting_every_referral(
    client, coordinator, ward_nurse, ward_a, monkeypatch
):
    monkeypatch.setattr("referrals.views.LIST_PAGE_SIZE", 2)
    referrals = [refer(ward_nurse, admit(ward_nurse, ward_a), received_at=timezone.now() - n * HOUR) for n in range(3)]
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("referrals:list"))
    assert [row["referral"] for row in first.context["rows"]] == referrals[:2]
    assert "COUNT(" not in " ".join(query["sql"] for query in queries)
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' not in first.content.decode()
    second = client.get(reverse("referrals:list"), {"page": 2})
    assert [row["referral"] for row in second.context["rows"]] == referrals[2:]
    assert 'rel="prev"' in second.content.decode() and 'rel="next"' not in second.content.decode()
    for past_the_end in (9, 99999999999999999999):  # the second past any offset a database integer holds
        page = client.get(reverse("referrals:list"), {"page": past_the_end})
        assert [row["referral"] for row in page.context["rows"]] == referrals[:2]


def test_the_pull_list_counts_only_the_referrals_awaiting_a_decision(client, coordinator, ward_a, ward_nurse, teams):
    mine = [refer(ward_nurse, admit(ward_nurse, ward_a, team=teams["newfield-house"])) for _ in range(3)]
    services.referral_accept(actor=coordinator, referral=mine[0])
    client.force_login(coordinator)
    response = client.get(reverse("referrals:pull_list"))
    assert len(response.context["rows"]) == 3
    assert "2 await a decision" in page_text(response)
