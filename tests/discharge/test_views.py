"""The hospital-side screens: who may see them, that ward staff never see another ward's patients, what the ward
board shows and how it sorts, that bad input on the spell page is refused beside its field with nothing written,
and that the board costs a fixed number of queries whatever its rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from discharge import services, views
from discharge.models import Delay, DelayReason, NctrPeriod, Spell, WardStay
from ocit.models import AccessLog
from referrals import services as referral_services
from tests import factories
from tests.date_input import boxes

DAY = datetime.timedelta(days=1)
ROLES = ["practitioner", "coordinator", "ward_nurse", "board_member", "sysadmin"]
WARD_ROLES = ("practitioner", "coordinator", "ward_nurse")


def page_text(response):
    return response.content.decode()


def admit(actor, ward, days_ago=5, **patient):
    return services.spell_admit(
        actor=actor,
        patient=factories.PatientFactory(**patient),
        ward=ward,
        admitted_at=timezone.now() - days_ago * DAY,
    )


def refer(actor, spell):
    return referral_services.referral_raise(
        actor=actor,
        patient=spell.patient,
        spell=spell,
        source="ward",
        referrer_name="Sam Nurse",
        reason="Needs help at home",
        requested_service="step_down_reablement",
        urgency="high",
    )


@pytest.fixture
def spell(ward_a, ward_nurse, teams):
    return admit(ward_nurse, ward_a, family_name="Ownward")


@pytest.fixture
def other_spell(ward_b, coordinator):
    return admit(coordinator, ward_b, family_name="Otherward")


# Who may see each page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role", "allowed"),
    [(name, role, role in WARD_ROLES) for name in ("discharge:ward_board", "discharge:spell_detail") for role in ROLES],
)
def test_each_page_is_for_ward_staff_and_lit_in_reach(request, client, spell, name, role, allowed):
    client.force_login(request.getfixturevalue(role))
    args = [spell.pk] if name == "discharge:spell_detail" else []
    assert client.get(reverse(name, args=args)).status_code == (200 if allowed else 403)


SPELL_FORMS = {
    "discharge:spell_ward_round": {"ward-round-version": "1", "ward-round-clinical_criteria": "Walks safely"},
    "discharge:spell_pathway": {"pathway-version": "1", "pathway-pathway": "1"},
    "discharge:nctr_start": boxes("nctr-started_on", datetime.date(2020, 1, 1)),
    "discharge:nctr_end": boxes("nctr-end-ended_on", datetime.date(2020, 1, 1)),
    "discharge:delay_set": {"delay-reason": "1"},
    "discharge:spell_transfer": {"transfer-ward": "1", **boxes("transfer-at", datetime.datetime(2020, 1, 1, 10))},
}


@pytest.mark.parametrize(
    ("name", "role"), [(name, role) for name in SPELL_FORMS for role in ("board_member", "sysadmin")]
)
def test_only_ward_staff_and_lit_staff_may_change_a_stay(request, client, spell, name, role):
    client.force_login(request.getfixturevalue(role))
    assert client.post(reverse(name, args=[spell.pk]), SPELL_FORMS[name]).status_code == 403
    spell.refresh_from_db()
    assert spell.version == 1


def test_ward_staff_do_not_find_another_wards_stay(client, ward_nurse, spell, other_spell):
    client.force_login(ward_nurse)
    assert client.get(reverse("discharge:spell_detail", args=[other_spell.pk])).status_code == 404
    for name, data in SPELL_FORMS.items():
        expected = 403 if name == "discharge:spell_pathway" else 404  # the pathway is the LIT's decision anywhere
        assert client.post(reverse(name, args=[other_spell.pk]), data).status_code == expected, name
    other_spell.refresh_from_db()
    assert other_spell.version == 1 and not NctrPeriod.objects.exists()


def test_ward_staff_see_only_their_own_wards_on_the_board(client, ward_nurse, spell, other_spell):
    client.force_login(ward_nurse)
    response = client.get(reverse("discharge:ward_board"))
    page = page_text(response)
    assert "OWNWARD" in page and "OTHERWARD" not in page and "Ward 22" not in page
    assert response.context["page"].paginator.count == 1
    assert "1 patient in hospital" in page


def test_lit_staff_see_every_ward(client, practitioner, spell, other_spell):
    client.force_login(practitioner)
    page = page_text(client.get(reverse("discharge:ward_board")))
    assert "OWNWARD" in page and "OTHERWARD" in page


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "1; drop table"])
def test_a_ward_filter_that_is_not_a_number_is_not_found(client, ward_nurse, value):
    client.force_login(ward_nurse)
    assert client.get(reverse("discharge:ward_board"), {"ward": value}).status_code == 404


def test_ward_staff_cannot_pick_another_ward(client, ward_nurse, ward_b):
    client.force_login(ward_nurse)
    assert client.get(reverse("discharge:ward_board"), {"ward": ward_b.pk}).status_code == 404


def test_the_ward_filter_shows_one_ward(client, practitioner, spell, other_spell, ward_b):
    client.force_login(practitioner)
    page = page_text(client.get(reverse("discharge:ward_board"), {"ward": ward_b.pk}))
    assert "OTHERWARD" in page and "OWNWARD" not in page


# What the board shows -------------------------------------------------------------------------------


def test_the_board_shows_the_patient_and_the_state_of_their_discharge(client, ward_nurse, coordinator, spell):
    today = timezone.localdate()
    services.spell_update(actor=coordinator, spell=spell, version=1, expected_discharge_on=today + 2 * DAY, pathway=1)
    services.nctr_start(actor=ward_nurse, spell=spell, started_on=today - 3 * DAY)
    services.delay_set(actor=ward_nurse, spell=spell, reason=DelayReason.objects.get(code="awaiting-reablement"))
    referral = refer(ward_nurse, spell)
    client.force_login(ward_nurse)
    page = page_text(client.get(reverse("discharge:ward_board")))
    number = spell.patient.nhs_number
    for text in (
        f"{number[:3]} {number[3:6]} {number[6:]}",
        f"Aged {spell.patient.age}",
        "Ward 10",
        f"{(today + 2 * DAY):%-d %b %Y}",
        "No criteria to reside",
        "3 days",
        "Pathway 1",
        "Awaiting decision",
        "Awaiting reablement capacity",
    ):
        assert text in page, text
    assert reverse("referrals:detail", args=[referral.pk]) in page
    assert reverse("referrals:raise", args=[spell.pk]) not in page
    assert reverse("discharge:spell_detail", args=[spell.pk]) in page
    assert "Length of stay (days) </span><span>5</span>" in page  # in days, derived from the admission


def test_each_row_offers_a_referral_when_there_is_none(client, ward_nurse, spell):
    client.force_login(ward_nurse)
    page = page_text(client.get(reverse("discharge:ward_board")))
    assert reverse("referrals:raise", args=[spell.pk]) in page and "Refer to OCIT" in page


def test_the_worst_delays_stand_out_in_words_not_colour_alone(client, ward_nurse, ward_a, spell):
    long = admit(ward_nurse, ward_a, days_ago=20, family_name="Longwait")
    services.nctr_start(actor=ward_nurse, spell=long, started_on=timezone.localdate() - 9 * DAY)
    client.force_login(ward_nurse)
    page = page_text(client.get(reverse("discharge:ward_board")))
    assert '<strong class="nhsuk-tag nhsuk-tag--red">Long delay: 9 days</strong>' in page
    assert "Not recorded" in page  # a delayed patient without a reason is called out


def board_order(client, **params):
    response = client.get(reverse("discharge:ward_board"), params)
    assert response.status_code == 200
    return [row["spell"].patient.family_name for row in response.context["rows"]]


def test_the_board_sorts_by_delay_length_of_stay_or_edd_in_the_url(client, ward_nurse, ward_a):
    today = timezone.localdate()
    ready_long = admit(ward_nurse, ward_a, days_ago=6, family_name="Readylong")
    ready_short = admit(ward_nurse, ward_a, days_ago=8, family_name="Readyshort")
    longest = admit(ward_nurse, ward_a, days_ago=12, family_name="Longest")
    services.nctr_start(actor=ward_nurse, spell=ready_long, started_on=today - 5 * DAY)
    services.nctr_start(actor=ward_nurse, spell=ready_short, started_on=today - DAY)
    services.spell_update(actor=ward_nurse, spell=longest, version=1, expected_discharge_on=today)
    ready_short.refresh_from_db()  # the discharge ready date raised its version
    services.spell_update(
        actor=ward_nurse, spell=ready_short, version=ready_short.version, expected_discharge_on=today + DAY
    )
    client.force_login(ward_nurse)
    assert board_order(client) == ["Readylong", "Readyshort", "Longest"]
    assert board_order(client, sort="los") == ["Longest", "Readyshort", "Readylong"]
    assert board_order(client, sort="edd") == ["Longest", "Readyshort", "Readylong"]
    assert board_order(client, sort="nonsense") == ["Readylong", "Readyshort", "Longest"]
    page = page_text(client.get(reverse("discharge:ward_board"), {"sort": "edd"}))
    assert 'aria-sort="ascending"><a class="nhsuk-link" href="?sort=edd">EDD</a>' in page


def test_sort_links_keep_the_ward(client, practitioner, spell, ward_a):
    client.force_login(practitioner)
    page = page_text(client.get(reverse("discharge:ward_board"), {"ward": ward_a.pk}))
    assert f'href="?ward={ward_a.pk}&amp;sort=los"' in page


def test_the_board_paginates(client, ward_nurse, ward_a, monkeypatch):
    monkeypatch.setattr(views, "BOARD_PAGE_SIZE", 2)
    for _ in range(3):
        admit(ward_nurse, ward_a)
    client.force_login(ward_nurse)
    response = client.get(reverse("discharge:ward_board"))
    assert len(response.context["rows"]) == 2 and "Page 2 of 2" in page_text(response)
    assert len(client.get(reverse("discharge:ward_board"), {"page": 2}).context["rows"]) == 1


def test_an_empty_board_says_what_happens_next(client, ward_nurse, ward_b):
    client.force_login(ward_nurse)
    assert "Patients appear here as soon as they are admitted" in page_text(client.get(reverse("discharge:ward_board")))


def test_ward_staff_without_wards_are_told_whom_to_ask(client, db):
    nurse = factories.UserFactory(role="ward_staff")
    client.force_login(nurse)
    assert "Ask a system administrator" in page_text(client.get(reverse("discharge:ward_board")))


def fill_board(actor, ward, count):
    today = timezone.localdate()
    for index in range(count):
        spell = admit(actor, ward, days_ago=index % 9 + 1)
        if index % 2:
            services.nctr_start(actor=actor, spell=spell, started_on=today - DAY)
            services.delay_set(actor=actor, spell=spell, reason=DelayReason.objects.first())
        if index % 3 == 0:
            refer(actor, spell)


@pytest.mark.parametrize("role", ["ward_nurse", "coordinator"])
def test_board_queries_do_not_grow_with_rows(request, client, ward_nurse, ward_a, django_assert_num_queries, role):
    fill_board(ward_nurse, ward_a, 3)
    client.force_login(request.getfixturevalue(role))
    url = reverse("discharge:ward_board")
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(url).status_code == 200
    fill_board(ward_nurse, ward_a, 17)
    with django_assert_num_queries(len(baseline)):
        response = client.get(url)
    assert len(response.context["rows"]) == 20


# The spell page -------------------------------------------------------------------------------------


def test_the_spell_page_shows_the_stay_and_logs_the_view(client, ward_nurse, spell):
    client.force_login(ward_nurse)
    page = page_text(client.get(reverse("discharge:spell_detail", args=[spell.pk])))
    assert escape(spell.patient.full_name) in page and "5 days" in page and "Record the discharge" in page
    assert reverse("referrals:discharge", args=[spell.pk]) in page
    assert AccessLog.objects.filter(patient_id=spell.patient_id, object_id=str(spell.pk)).exists()


def test_edd_before_admission_is_refused_beside_the_field(client, ward_nurse, spell):
    client.force_login(ward_nurse)
    before = timezone.localdate(spell.admitted_at) - DAY
    response = client.post(
        reverse("discharge:spell_ward_round", args=[spell.pk]),
        {"ward-round-version": spell.version, **boxes("ward-round-expected_discharge_on", before)},
    )
    page = page_text(response)
    assert response.status_code == 200
    assert "The expected date of discharge cannot be before admission." in page
    assert 'href="#ward-round-expected_discharge_on"' in page and "nhsuk-error-summary" in page
    assert response.context["failed"] == "ward_round_form"
    spell.refresh_from_db()
    assert spell.expected_discharge_on is None and spell.version == 1


def test_the_ward_round_plan_is_saved(client, ward_nurse, spell):
    client.force_login(ward_nurse)
    edd = timezone.localdate() + 2 * DAY
    response = client.post(
        reverse("discharge:spell_ward_round", args=[spell.pk]),
        {
            "ward-round-version": spell.version,
            **boxes("ward-round-expected_discharge_on", edd),
            "ward-round-clinical_criteria": "Mobile with frame; eating and drinking",
        },
    )
    assert response.status_code == 302 and response.url.endswith("#ward-round")
    spell.refresh_from_db()
    assert spell.expected_discharge_on == edd and spell.clinical_criteria.startswith("Mobile")


def test_a_stale_ward_round_plan_shows_what_changed(client, ward_nurse, spell):
    services.spell_update(actor=ward_nurse, spell=spell, version=1, clinical_criteria="Someone else's plan")
    client.force_login(ward_nurse)
    response = client.post(
        reverse("discharge:spell_ward_round", args=[spell.pk]),
        {"ward-round-version": "1", "ward-round-clinical_criteria": "My plan"},
    )
    page = page_text(response)
    assert "Changed since you opened it" in page and "Someone else&#x27;s plan" in page
    assert 'name="ward-round-version" value="2"' in page
    spell.refresh_from_db()
    assert spell.clinical_criteria == "Someone else's plan"


def test_the_pathway_decision_is_saved(client, coordinator, spell):
    client.force_login(coordinator)
    response = client.post(
        reverse("discharge:spell_pathway", args=[spell.pk]), {"pathway-version": spell.version, "pathway-pathway": "2"}
    )
    assert response.status_code == 302
    spell.refresh_from_db()
    assert spell.pathway == 2


def test_ward_staff_leave_the_pathway_decision_to_the_lit(client, ward_nurse, spell):
    client.force_login(ward_nurse)
    page = page_text(client.get(reverse("discharge:spell_detail", args=[spell.pk])))
    assert reverse("discharge:spell_pathway", args=[spell.pk]) not in page
    response = client.post(
        reverse("discharge:spell_pathway", args=[spell.pk]), {"pathway-version": spell.version, "pathway-pathway": "1"}
    )
    assert response.status_code == 403
    spell.refresh_from_db()
    assert spell.pathway is None


def test_a_pathway_must_be_chosen(client, coordinator, spell):
    client.force_login(coordinator)
    response = client.post(reverse("discharge:spell_pathway", args=[spell.pk]), {"pathway-version": spell.version})
    assert "Choose the discharge pathway" in page_text(response)
    spell.refresh_from_db()
    assert spell.pathway is None


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (-10, "The discharge ready date cannot be before admission."),
        (2, "The discharge ready date cannot be in the future."),
    ],
)
def test_an_impossible_discharge_ready_date_is_refused(client, coordinator, spell, offset, message):
    client.force_login(coordinator)
    day = timezone.localdate() + offset * DAY
    response = client.post(reverse("discharge:nctr_start", args=[spell.pk]), boxes("nctr-started_on", day))
    page = page_text(response)
    assert response.status_code == 200 and message in page and 'href="#nctr-started_on"' in page
    assert "<title>Error:" in page
    assert not NctrPeriod.objects.exists()


def test_the_discharge_ready_date_is_recorded_and_ended(client, coordinator, spell):
    client.force_login(coordinator)
    today = timezone.localdate()
    client.post(reverse("discharge:nctr_start", args=[spell.pk]), boxes("nctr-started_on", today - DAY))
    period = NctrPeriod.objects.get(spell=spell)
    assert period.started_on == today - DAY and period.recorded_by == coordinator
    page = page_text(client.get(reverse("discharge:spell_detail", args=[spell.pk])))
    assert "No criteria to reside" in page and "Delayed 1 day" in page
    client.post(reverse("discharge:nctr_end", args=[spell.pk]), boxes("nctr-end-ended_on", today))
    period.refresh_from_db()
    assert period.ended_on == today


def test_a_delay_reason_needs_a_discharge_ready_date(client, coordinator, spell):
    client.force_login(coordinator)
    reason = DelayReason.objects.first()
    response = client.post(reverse("discharge:delay_set", args=[spell.pk]), {"delay-reason": reason.pk})
    assert "Record the discharge ready date first" in page_text(response)
    assert not Delay.objects.exists()


def test_delay_reasons_are_kept_as_history_rows(client, coordinator, spell):
    services.nctr_start(actor=coordinator, spell=spell, started_on=timezone.localdate() - 2 * DAY)
    first, second = DelayReason.objects.all()[:2]
    client.force_login(coordinator)
    url = reverse("discharge:delay_set", args=[spell.pk])
    client.post(url, {"delay-reason": first.pk, **boxes("delay-started_on", timezone.localdate() - 2 * DAY)})
    client.post(url, {"delay-reason": second.pk, "delay-note": "Agency has no capacity until Monday"})
    delays = list(Delay.objects.filter(spell=spell))
    assert [d.reason for d in delays] == [first, second]
    assert delays[0].ended_on == timezone.localdate() and delays[1].ended_on is None
    page = page_text(client.get(reverse("discharge:spell_detail", args=[spell.pk])))
    assert first.name in page and second.name in page and "Agency has no capacity" in page


def test_a_delay_reason_must_come_from_the_list(client, coordinator, spell):
    services.nctr_start(actor=coordinator, spell=spell, started_on=timezone.localdate())
    client.force_login(coordinator)
    response = client.post(reverse("discharge:delay_set", args=[spell.pk]), {"delay-reason": "99999"})
    assert "Choose a reason from the list" in page_text(response)
    assert not Delay.objects.exists()


def test_a_transfer_closes_one_ward_stay_and_opens_another(client, coordinator, spell, ward_b):
    client.force_login(coordinator)
    at = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    response = client.post(
        reverse("discharge:spell_transfer", args=[spell.pk]),
        {"transfer-ward": ward_b.pk, **boxes("transfer-at", at)},
    )
    assert response.status_code == 302
    spell.refresh_from_db()
    assert spell.ward == ward_b
    assert list(WardStay.objects.filter(spell=spell).values_list("ended_at", flat=True)) == [at, None]


def test_a_transfer_before_arrival_is_refused(client, coordinator, spell, ward_b):
    client.force_login(coordinator)
    at = spell.admitted_at - DAY
    response = client.post(
        reverse("discharge:spell_transfer", args=[spell.pk]),
        {"transfer-ward": ward_b.pk, **boxes("transfer-at", at)},
    )
    assert "The transfer cannot be before the patient arrived" in page_text(response)
    assert Spell.objects.get(pk=spell.pk).ward_id == spell.ward_id


def test_a_discharged_stay_is_read_only(client, coordinator, spell):
    referral_services.discharge_record(
        actor=coordinator, spell=spell, discharged_at=timezone.now(), destination="usual_residence", pathway=0
    )
    client.force_login(coordinator)
    page = page_text(client.get(reverse("discharge:spell_detail", args=[spell.pk])))
    assert "Discharged" in page and "Discharge summary" in page
    assert reverse("discharge:nctr_start", args=[spell.pk]) not in page
    response = client.post(
        reverse("discharge:nctr_start", args=[spell.pk]), boxes("nctr-started_on", datetime.date(2020, 1, 1))
    )
    assert response.status_code == 200 and "already been discharged" in page_text(response)
