"""Every figure drills down to the records that made it: as many as the figure counts, in a fixed number of
queries, each look written to the access log; the programme board sees the same page as counts only."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from benefits import metrics, selectors
from benefits.models import MetricValue
from caseload.models import Sequel, Service, Source
from ocit.models import AccessLog
from tests import factories

AS_OF = datetime.date(2026, 6, 1)
MONTHS = [datetime.date(2026, month, 1) for month in (1, 3, 5)]
WEEKS = [datetime.date(2026, 2, 2), datetime.date(2026, 4, 13)]


def period_end(period, start):
    return (
        start + datetime.timedelta(days=7) if period == "week" else (start + datetime.timedelta(days=32)).replace(day=1)
    )


@pytest.mark.django_db
def test_every_figure_made_from_records_has_as_many_records_as_it_counts():
    call_command("seed_demo", scale="small", seed=11, as_of=AS_OF, force=True, stdout=io.StringIO())
    lits = list(factories.teams().values())
    today = AS_OF
    checked = 0
    for metric in metrics.METRICS:
        if metric.records is None:
            continue
        for period, starts in (("month", MONTHS), ("week", WEEKS)):
            for start in starts:
                for team in [None, *(lits if metric.per_lit else [])]:
                    figure = selectors.metric_values(
                        metric=metric.key, period=period, team=team, start=start, end=start
                    )
                    figure = figure.first()
                    rows = selectors.figure_records(
                        records=metric.records, start=start, end=period_end(period, start), team=team, today=today
                    )
                    counted = len({row.patient_id for row in rows}) if metric.records.distinct else len(rows)
                    where = (metric.key, period, start, team)
                    assert counted == (figure.records if figure else 0), where
                    if metric.counts_records:  # the figure is the count itself
                        assert counted == (figure.value if figure else 0), where
                    if metric.records.met and figure and figure.records:
                        assert 100 * sum(row.met for row in rows) / counted == pytest.approx(figure.value), where
                    checked += 1
    assert checked > 400


@pytest.fixture
def avoided(teams):
    """Admissions avoided in March 2025: six people at Newfield House, two at Opal Centre."""

    def closed(team, day):
        closed_at = datetime.datetime(2025, 3, day, 12, tzinfo=datetime.UTC)
        return factories.EpisodeFactory(
            patient=factories.PatientFactory(team=team, family_name=f"Avoided{team.code.title()}{day}"),
            service=Service.UCR,
            source=Source.AMBULANCE,
            received_at=closed_at - datetime.timedelta(days=2),
            closed_at=closed_at,
            sequel=Sequel.NO_ONGOING_SUPPORT,
        )

    episodes = [closed(teams["newfield-house"], day) for day in range(3, 9)]
    episodes += [closed(teams["opal-centre"], day) for day in (10, 11)]
    call_command("recompute_benefits", full=True, stdout=io.StringIO())
    return episodes


def open_figure(client, user, key="admissions_avoided", **params):
    client.force_login(user)
    return client.get(reverse("benefits:figure", args=[key]), {"period": "month", "start": "2025-03-01", **params})


def test_a_coordinator_sees_the_records_and_each_look_is_logged(client, coordinator, avoided):
    response = open_figure(client, coordinator)
    page = response.content.decode()
    assert response.status_code == 200
    assert "8 episodes" in page
    for episode in avoided:
        assert episode.patient.family_name.upper() in page
        assert reverse("caseload:episode_detail", args=[episode.pk]) in page
    logged = AccessLog.objects.filter(actor=coordinator, object_type="caseload.episode")
    assert sorted(logged.values_list("patient_id", flat=True)) == sorted(e.patient_id for e in avoided)


def test_a_lit_figure_lists_that_lit_only(client, coordinator, avoided, teams):
    page = open_figure(client, coordinator, lit=teams["opal-centre"].pk).content.decode()
    assert "2 episodes" in page
    assert avoided[-1].patient.family_name.upper() in page and avoided[0].patient.family_name.upper() not in page


def test_the_board_sees_counts_only_and_nothing_is_logged(client, board_member, avoided):
    response = open_figure(client, board_member)
    page = response.content.decode()
    assert response.status_code == 200
    assert "8 episodes" in page and "Counts only" in page
    assert "&lt;5" in page  # Opal Centre's 2 are suppressed; Newfield House's 6 shown
    for episode in avoided:
        assert episode.patient.family_name.upper() not in page and episode.patient.nhs_number not in page
    assert not AccessLog.objects.exists()


def test_the_list_costs_a_fixed_number_of_queries(client, coordinator, avoided, django_assert_num_queries):
    url, lits = reverse("benefits:figure", args=["admissions_avoided"]), factories.teams()
    march = {"period": "month", "start": "2025-03-01"}
    client.force_login(coordinator)
    client.get(url, {**march, "lit": lits["opal-centre"].pk})  # warm the session and the LITs each process keeps
    with django_assert_num_queries(11):
        client.get(url, {**march, "lit": lits["opal-centre"].pk})  # 2 records
    with django_assert_num_queries(11):
        client.get(url, {**march, "lit": lits["newfield-house"].pk})  # 6 records
    with django_assert_num_queries(11):  # all of OCIT: the count by LIT instead of the LIT chosen
        client.get(url, march)  # 8 records


def test_ward_staff_cannot_open_a_figure(client, ward_nurse, avoided):
    assert open_figure(client, ward_nurse).status_code == 403


@pytest.mark.parametrize(
    "params",
    [{"start": "2025-03-02"}, {"period": "week", "start": "2025-03-05"}, {"period": "year"}, {"start": "not a date"}],
)
def test_a_link_that_names_no_figure_is_refused_with_the_reason(client, coordinator, params):
    response = open_figure(client, coordinator, **params)
    assert response.status_code == 400
    assert "This link does not name a figure" in response.content.decode()


def test_a_figure_made_from_other_figures_has_no_record_list(client, coordinator):
    assert open_figure(client, coordinator, key="total_saving").status_code == 404
    assert open_figure(client, coordinator, key="no_such_measure").status_code == 404


def test_the_metric_page_links_each_figure_to_its_records(client, coordinator, avoided):
    client.force_login(coordinator)
    page = client.get(
        reverse("benefits:metric", args=["admissions_avoided"]), {"period": "month", "start": "2025-01-01"}
    ).content.decode()
    assert f"{reverse('benefits:figure', args=['admissions_avoided'])}?period=month&amp;start=2025-03-01" in page
    assert MetricValue.objects.filter(metric="admissions_avoided", period_start=datetime.date(2025, 3, 1)).exists()


def test_the_board_sees_a_small_lit_figure_as_fewer_than_5(client, board_member, avoided, teams):
    page = open_figure(client, board_member, lit=teams["opal-centre"].pk).content.decode()
    assert "fewer than 5 episodes" in page and "2 episodes" not in page
    assert "&lt;5" in page  # the figure itself


def test_one_small_lit_cell_hides_another_so_it_cannot_be_worked_out_from_the_total(board_member, avoided):
    from benefits import reports

    rows = selectors.figure_records(
        records=metrics.BY_KEY["admissions_avoided"].records,
        start=datetime.date(2025, 3, 1),
        end=datetime.date(2025, 4, 1),
    )
    cells = {team.code: count for team, count in reports.records_by_lit(rows)}
    # Newfield House 6, Opal Centre 2 (hidden), Tile Hill 0: the smallest other cell is hidden as well.
    assert cells == {"newfield-house": 6, "opal-centre": None, "tile-hill": None}
    shown = {team.code: count for team, count in reports.records_by_lit(rows, suppress=False)}
    assert shown == {"newfield-house": 6, "opal-centre": 2, "tile-hill": 0}


def test_a_figure_of_people_counts_people_by_lit(client, coordinator, teams):
    person = factories.PatientFactory(team=teams["opal-centre"])
    for day in range(3, 9):  # six episodes in March, each closed before the next
        received = datetime.datetime(2025, 3, day, 9, tzinfo=datetime.UTC)
        factories.EpisodeFactory(
            patient=person, received_at=received, closed_at=received + datetime.timedelta(hours=3), sequel="declined"
        )
    call_command("recompute_benefits", full=True, stdout=io.StringIO())

    page = open_figure(client, coordinator, key="patients_supported").content.decode()

    assert "1 people" in page
    opal_centre = page.split("Opal Centre LIT</th>", 1)[1].split("</td>", 1)[0]
    assert opal_centre.rsplit(">", 1)[1] == "1"  # one person, not six episodes
