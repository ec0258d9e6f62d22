"""The dashboard pages read stored figures only: who may see them, suppression, freshness, exports."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from benefits import reports
from benefits.models import MetricValue, RecomputeRun, RunStatus
from caseload.models import Team
from tests import factories

MONTHS = [datetime.date(2025, month, 1) for month in range(1, 13)]
RANGE = {"period": "month", "start": "2025-01-01", "end": "2025-12-31"}


@pytest.fixture
def figures(teams):
    """A year of monthly figures for every LIT and all of OCIT, and a successful run just now."""
    now = timezone.now()
    lit = teams["newfield-house"]
    rows = []
    for i, month in enumerate(MONTHS):
        rows += [
            MetricValue(
                metric="admissions_avoided",
                period="month",
                period_start=month,
                team=None,
                value=70 + i,
                records=70 + i,
                computed_at=now,
            ),
            # Newfield House: 3 admissions avoided in March (suppressed), else 20+.
            MetricValue(
                metric="admissions_avoided",
                period="month",
                period_start=month,
                team=lit,
                value=3 if month.month == 3 else 20 + i,
                records=3 if month.month == 3 else 20 + i,
                computed_at=now,
            ),
            MetricValue(
                metric="ucr_2_hour",
                period="month",
                period_start=month,
                team=None,
                value=72.5,
                records=200,
                computed_at=now,
            ),
            MetricValue(
                metric="total_saving",
                period="month",
                period_start=month,
                team=None,
                value=100_000,
                records=40,
                computed_at=now,
            ),
        ]
    MetricValue.objects.bulk_create(rows)
    RecomputeRun.objects.create(trigger="nightly", status=RunStatus.SUCCEEDED, started_at=now, finished_at=now)
    return lit


def get(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params)


@pytest.mark.parametrize("user", ["practitioner", "ward_nurse"])
@pytest.mark.parametrize("name", ["benefits:dashboard", "benefits:board_pack", "benefits:finance"])
def test_staff_without_the_dashboard_capability_are_refused(client, db, request, user, name):
    assert get(client, request.getfixturevalue(user), name).status_code == 403


def test_the_board_sees_every_area_with_its_headline_figure(client, board_member, figures):
    response = get(client, board_member, "benefits:dashboard", **RANGE)
    assert response.status_code == 200
    page = response.content.decode()
    for name in [
        "Front door pressure",
        "Ambulance turnaround",
        "Acute flow",
        "Right-sizing the emergency bed base",
        "Adult social care capacity",
    ]:
        assert name in page
    assert "Admissions avoided" in page
    assert ">81<" in page  # December's 70 + 11
    assert "Figures as of" in page
    assert "Figures may be out of date" not in page


def test_the_dashboard_reads_a_fixed_number_of_queries(client, board_member, figures, django_assert_max_num_queries):
    client.force_login(board_member)
    with django_assert_max_num_queries(12):
        client.get(reverse("benefits:dashboard"), RANGE)


def test_lit_cells_under_five_are_suppressed(client, board_member, figures):
    response = get(client, board_member, "benefits:metric", "admissions_avoided", **RANGE, lit=figures.pk)
    page = response.content.decode()
    assert "fewer than 5 records" in page
    _, rows = reports.export_rows(
        reports.series_for(
            reports.Filters("month", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), figures),
            [reports.metrics.BY_KEY["admissions_avoided"]],
        ),
        reports.Filters("month", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), figures),
    )
    march = next(row for row in rows if row[5] == "2025-03-01")
    assert march[6] == "<5"


def test_all_of_ocit_figures_are_never_suppressed(client, board_member, figures):
    MetricValue.objects.filter(team=None, metric="admissions_avoided", period_start=MONTHS[0]).update(
        value=2, records=2
    )
    _, rows = reports.export_rows(
        reports.series_for(
            reports.Filters("month", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
            [reports.metrics.BY_KEY["admissions_avoided"]],
        ),
        reports.Filters("month", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
    )
    assert rows[0][6] == 2


def test_finance_is_reported_for_all_of_ocit_only(client, board_member, figures):
    response = get(client, board_member, "benefits:metric", "total_saving", lit=figures.pk)
    assert response.status_code == 404


def test_a_metric_page_shows_its_chart_table_and_assumptions(client, coordinator, figures):
    response = get(client, coordinator, "benefits:metric", "ucr_2_hour", **RANGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="img"' in page
    assert "Show the figures as a table" in page
    assert "Target: UCR seen within 2 hours (%)" in page  # the assumption behind the target, with its date
    assert "70%" in page or "70.0%" in page


def test_the_board_pack_links_each_chart_to_its_table_on_the_measures_page(client, board_member, figures):
    response = get(client, board_member, "benefits:board_pack", **RANGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="img"' in page
    assert "<table" not in page  # each table is on its measure's page, with the same filters
    query = "?period=month&amp;start=2025-01-01&amp;end=2025-12-31"
    assert f'<a href="{reverse("benefits:metric", args=["ucr_2_hour"])}{query}">The figures as a table' in page


def test_an_unknown_metric_is_not_found(client, board_member, figures):
    assert get(client, board_member, "benefits:metric", "no_such_thing").status_code == 404


def test_the_csv_export_is_what_the_page_shows(client, board_member, figures):
    response = get(client, board_member, "benefits:export_csv", "admissions_avoided", **RANGE)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:7] == ["Area", "Measure", "Unit", "LIT", "Period", "Period start", "Value"]
    assert len(rows) == 1 + 12
    assert rows[-1][5:7] == ["2025-12-01", "81.0"]


def test_the_dashboard_exports_its_tables_one_row_per_measure(client, board_member, figures):
    response = get(client, board_member, "benefits:export_csv", "summary", **RANGE)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 1 + len([metric for metric in reports.metrics.METRICS if not metric.part_of])
    admissions = next(row for row in rows if row[1] == "Admissions avoided")
    assert admissions[3:6] == ["All of OCIT", "2025-12-01", "81.0"]


def test_the_xlsx_export_holds_the_same_rows(client, board_member, figures):
    response = get(client, board_member, "benefits:export_xlsx", "all", **RANGE)
    sheet = load_workbook(io.BytesIO(response.content)).active
    csv_rows = list(
        csv.reader(io.StringIO(get(client, board_member, "benefits:export_csv", "all", **RANGE).content.decode()))
    )
    assert sheet.max_row == len(csv_rows)


def test_text_that_a_spreadsheet_would_run_goes_out_inert(client, board_member, figures):
    team = figures  # Newfield House, which has figures of its own
    Team.objects.filter(pk=team.pk).update(name='=HYPERLINK("http://example.test","Tile Hill")')
    params = {**RANGE, "lit": team.pk}
    rows = list(
        csv.reader(io.StringIO(get(client, board_member, "benefits:export_csv", "all", **params).content.decode()))
    )
    sheet = load_workbook(io.BytesIO(get(client, board_member, "benefits:export_xlsx", "all", **params).content)).active
    assert rows[1][3] == '\'=HYPERLINK("http://example.test","Tile Hill")'
    assert sheet.cell(row=2, column=4).value == rows[1][3] and sheet.cell(row=2, column=4).data_type == "s"


def test_the_plan_page_compares_each_year_to_date_with_its_plan(client, board_member, figures):
    response = get(client, board_member, "benefits:finance")
    page = response.content.decode()
    # 2025/26 has figures for April to December 2025: 9 of 12 months of the £4,113,000 plan total, so the plan
    # to date is £3,084,750; achieved 9 × £100,000 = £900,000: £2,184,750 short, 29.2% of the plan to date.
    assert "2025/26: 9 of 12 months with figures" in page
    assert "£4,113,000" in page and "£3,084,750" in page and "£900,000" in page
    assert "-£2,184,750" in page and "29.2%" in page
    # 2024/25 is planned from go-live, July to March: 9 months, of which January to March have figures.
    assert "2024/25: 3 of 9 months with figures" in page
    assert "£653,667" in page  # £1,961,000 × 3/9
    assert "Formula:" in page
    assert "Seed 001: OCIT rolled out from 1 July 2024" in page  # every assumption with its date and source


def test_the_plan_page_shows_progress_towards_the_roll_out_goals(client, board_member, figures):
    MetricValue.objects.create(
        metric="care_hours_saved", period="month", period_start=MONTHS[-1], value=1_500, records=30,
        computed_at=timezone.now(),
    )  # fmt: skip
    page = get(client, board_member, "benefits:finance").content.decode()
    assert "1,500 hours" in page and "2,000 hours" in page and 'value="75"' in page  # 1,500 of 2,000
    assert "no data" in page  # beds released: no figures yet


def test_the_plan_export_holds_the_same_figures(client, board_member, figures):
    response = get(client, board_member, "benefits:export_csv", "finance")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    total = next(r for r in rows if r["Financial year"] == "2025/26" and r["Line"] == "Total planned-category saving")
    assert total["Plan to date (£)"] == "3084750.0" and total["Achieved (£)"] == "900000.0"
    assert total["Months with figures"] == "9"


def test_figures_older_than_36_hours_carry_a_warning(client, board_member, figures):
    RecomputeRun.objects.update(finished_at=timezone.now() - datetime.timedelta(hours=37))
    page = get(client, board_member, "benefits:dashboard").content.decode()
    assert "Figures may be out of date" in page


def test_a_dashboard_without_any_run_says_the_figures_are_not_calculated_yet(client, board_member):
    page = get(client, board_member, "benefits:dashboard").content.decode()
    assert "have not been calculated yet" in page


def test_only_administrators_may_start_a_recompute(client, board_member, sysadmin, in_process_tasks):
    client.force_login(board_member)
    assert client.post(reverse("benefits:recompute")).status_code == 403
    client.force_login(sysadmin)
    response = client.post(reverse("benefits:recompute"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    run = RecomputeRun.objects.get()  # the task ran in the request (in_process_tasks)
    assert run.status == RunStatus.SUCCEEDED
    assert run.started_by == sysadmin
    assert run.trigger == "dashboard"


def test_progress_shows_a_running_recompute_and_keeps_polling(client, sysadmin):
    RecomputeRun.objects.create(trigger="nightly", steps_done=10, steps_total=40)
    page = get(client, sysadmin, "benefits:recompute_progress").content.decode()
    assert "step 10 of 40" in page
    assert 'hx-trigger="every 2s"' in page
    assert "Recalculate now" not in page


def test_no_patient_identifiers_on_any_dashboard_page(client, board_member, figures, teams):
    patient = factories.PatientFactory(team=teams["opal-centre"], family_name="Quillfeather")
    for name, args in [
        ("benefits:dashboard", ()),
        ("benefits:board_pack", ()),
        ("benefits:finance", ()),
        ("benefits:metric", ("admissions_avoided",)),
    ]:
        page = get(client, board_member, name, *args).content.decode()
        assert patient.nhs_number not in page
        assert patient.family_name not in page


def test_a_line_missing_a_month_is_planned_for_the_months_it_has(client, board_member, figures):
    # The short-term bed saving has figures for April to June 2025 only: its plan to date is 3 of 12 months of
    # £641,000 = £160,250, however many months the other lines have.
    for month in MONTHS[3:6]:
        MetricValue.objects.create(
            metric="short_term_bed_saving", period="month", period_start=month, value=50_000, records=5,
            computed_at=timezone.now(),
        )  # fmt: skip
    year = next(year for year in reports.plan_against_actual() if year.label == "2025/26")
    line = next(line for line in year.lines if line.metric.key == "short_term_bed_saving")
    assert (line.months, line.to_date, line.achieved) == (3, 160_250, 150_000)


def test_the_system_benefit_goal_adds_up_twelve_months_only(board_member, figures):
    for month in [datetime.date(2024, 10, 1), *MONTHS]:  # October 2024 is more than a year before December 2025
        MetricValue.objects.create(
            metric="system_benefit", period="month", period_start=month, value=1_000_000, records=5,
            computed_at=timezone.now(),
        )  # fmt: skip
    goal = next(goal for goal in reports.goals() if goal.metric.key == "system_benefit")
    assert goal.latest == 12_000_000 and goal.period == MONTHS[-1]
