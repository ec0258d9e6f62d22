"""In real Chromium: the programme board sees the five areas, opens a chart and exports CSV, with no patient
identifiers on any dashboard page; an administrator imports external measures. axe-core on every screen."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.utils import timezone

from benefits import services
from caseload.models import EpisodeStatus, Sequel, Source
from tests import factories
from tests.browser.support import assert_accessible_without_errors, logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)]

AREAS = [
    "Front door pressure",
    "Ambulance turnaround",
    "Acute flow",
    "Right-sizing the emergency bed base",
    "Adult social care capacity",
]


@pytest.fixture
def history(teams):
    """Six months of closed step-up episodes for a few patients, and the figures made from them."""
    # Names no page could contain by chance (a Faker surname such as "Ward" could).
    patients = [
        factories.PatientFactory(team=teams["newfield-house"], family_name=f"Quillfeather{n}") for n in range(6)
    ]
    today = timezone.localdate()
    for months_ago in range(1, 7):
        received = timezone.now() - datetime.timedelta(days=30 * months_ago + 10)
        for patient in patients[: months_ago + 1]:
            factories.EpisodeFactory(
                patient=patient,
                team=patient.team,
                service="ucr",
                source=Source.GP,
                received_at=received,
                status=EpisodeStatus.CLOSED,
                closed_at=received + datetime.timedelta(days=3),
                sequel=Sequel.NO_ONGOING_SUPPORT,
            )
    services.recompute(trigger="command", full=True, today=today)
    return patients


def assert_no_identifiers(page, patients):
    text = page.content()
    for patient in patients:
        assert patient.nhs_number not in text
        assert patient.family_name not in text


def test_the_board_sees_the_five_areas_opens_a_chart_and_exports_csv(live_server, board_member, history):
    with logged_in_page(live_server, board_member) as page:
        page.goto("/dashboard/")
        for area in AREAS:
            assert page.get_by_text(area, exact=True).first.is_visible()
        assert page.get_by_text("Figures as of").is_visible()
        assert_no_identifiers(page, history)
        assert_accessible_without_errors(page, "dashboard")

        page.locator(".app-tile").first.get_by_role("link").click()
        page.wait_for_url("**/dashboard/metrics/admissions_avoided/**")
        chart = page.locator("svg[role=img]").first
        assert chart.is_visible()
        page.get_by_text("Show the figures as a table").click()
        assert page.locator("details table tbody tr").count() >= 6
        assert_no_identifiers(page, history)
        assert_accessible_without_errors(page, "metric chart")

        with page.expect_download() as download:
            page.get_by_role("link", name="CSV").click()
        rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
        assert rows[0][:2] == ["Area", "Measure"]
        assert {row[1] for row in rows[1:]} == {"Admissions avoided"}
        assert len(rows) - 1 == page.locator("details table tbody tr").count()

        for url, screen in [("/dashboard/board-pack/", "board pack"), ("/dashboard/finance/", "finance")]:
            page.goto(url)
            assert_no_identifiers(page, history)
            assert_accessible_without_errors(page, screen)


def test_an_administrator_imports_measures_after_seeing_the_bad_rows(live_server, sysadmin, tmp_path):
    upload = tmp_path / "handovers.csv"
    upload.write_text(
        "measure,date,value\nambulance_handover_minutes,2025-03-01,31.5\nambulance_handover_minutes,soon,30\n"
    )
    with logged_in_page(live_server, sysadmin) as page:
        page.goto("/dashboard/measures/import/")
        assert_accessible_without_errors(page, "import")
        page.locator("input[type=file]").set_input_files(str(upload))
        page.get_by_role("button", name="Check the file").click()
        assert page.get_by_text("Line 3", exact=False).first.is_visible()
        assert_accessible_without_errors(page, "import preview")
        page.get_by_role("button", name="Import 1 good row").click()
        assert page.get_by_text("1 added", exact=False).first.is_visible()
        assert_accessible_without_errors(page, "import done")


def test_the_board_opens_the_plan_against_actual_and_a_figure_as_counts(live_server, board_member, history):
    with logged_in_page(live_server, board_member) as page:
        page.goto("/dashboard/")
        page.get_by_role("link", name="savings against the plan").click()
        page.wait_for_url("**/dashboard/finance/")
        assert page.get_by_role("heading", name="Progress towards the roll-out goals").is_visible()
        assert page.get_by_text("Long-term care hours saved a week", exact=True).first.is_visible()
        assert page.locator("caption", has_text="2025/26").is_visible()
        assert page.locator("caption", has_text="2024/25").is_visible()
        assert page.get_by_text("Seed 001: OCIT rolled out from 1 July 2024").first.is_visible()
        assert_no_identifiers(page, history)
        assert_accessible_without_errors(page, "plan against actual")

        page.goto("/dashboard/metrics/admissions_avoided/")
        page.get_by_text("Show the figures as a table").click()
        page.locator("details table tbody a").last.click()
        page.wait_for_url("**/dashboard/metrics/admissions_avoided/records/**")
        assert page.get_by_text("Counts only").is_visible()
        assert_no_identifiers(page, history)
        assert_accessible_without_errors(page, "figure as counts")


def test_a_coordinator_drills_a_figure_down_to_a_patient(live_server, coordinator, history):
    with logged_in_page(live_server, coordinator) as page:
        page.goto("/dashboard/metrics/admissions_avoided/")
        page.get_by_text("Show the figures as a table").click()
        page.locator("details table tbody a").last.click()
        page.wait_for_url("**/dashboard/metrics/admissions_avoided/records/**")
        rows = page.locator("#records ~ table tbody tr")
        made_from = page.locator(".nhsuk-summary-list__row", has_text="Made from").inner_text()
        assert f"{rows.count()} episodes" in made_from
        assert_accessible_without_errors(page, "records behind a figure")
        rows.first.get_by_role("link").first.click()
        page.wait_for_url("**/caseload/patients/**")
        assert any(patient.family_name.upper() in page.content() for patient in history)
