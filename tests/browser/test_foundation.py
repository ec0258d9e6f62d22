"""In Chromium, each role logs in through the form and lands on a styled, error-free, accessible home page."""

import importlib
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from ocit.roles import HOME_PAGES
from tests import conftest, factories

pytestmark = pytest.mark.browser

AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
ROLE_FIXTURES = {
    "lit_practitioner": "practitioner",
    "lit_coordinator": "coordinator",
    "ward_staff": "ward_nurse",
    "programme_board": "board_member",
    "system_admin": "sysadmin",
}


@contextmanager
def chromium_page(base_url):
    """A fresh page that records script errors and every stylesheet response.

    Playwright's sync API runs an event loop, inside which Django hands out other database connections:
    create test data before opening the page, and close it before the test's database teardown.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=conftest.CHROMIUM or "/usr/bin/chromium",
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            # The app's real Content-Security-Policy stays on, so a blocked inline script or style shows up as
            # a console error; axe is evaluated through DevTools, which the policy does not restrict.
            page = browser.new_context(base_url=base_url).new_page()
            page.errors = []
            page.stylesheets = []
            page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            page.on("response", lambda response: response.url.endswith(".css") and page.stylesheets.append(response))
            yield page
        finally:
            browser.close()


def serious_accessibility_failures(page):
    page.evaluate(AXE.read_text())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['impact']}: {violation['id']} ({violation['help']}) at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def assert_styled_and_accessible(page):
    assert page.stylesheets, "the page loaded no stylesheet"
    assert all(response.status == 200 for response in page.stylesheets), [r.url for r in page.stylesheets]
    header_colour = page.eval_on_selector(".nhsuk-header", "header => getComputedStyle(header).backgroundColor")
    assert header_colour not in ("", "rgba(0, 0, 0, 0)"), "the NHS.UK styles were not applied"
    failures = serious_accessibility_failures(page)
    assert not failures, "\n".join(failures)
    assert not page.errors, page.errors


@pytest.fixture
def lits(transactional_db):
    """The live server needs committed rows, so these tests run in transactional_db, which starts from tables
    that earlier transactional tests may have emptied: put back the LITs from their data migration."""
    importlib.import_module("caseload.migrations.0002_seed_lits_and_localities").add_teams(apps, None)


def test_login_page_is_styled_and_accessible(live_server):
    with chromium_page(live_server.url) as page:
        page.goto(reverse("login"))
        assert_styled_and_accessible(page)


def test_text_is_set_in_the_nhsuk_system_font_stack(live_server):
    with chromium_page(live_server.url) as page:
        page.goto(reverse("login"))
        font = page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert "arial" in font.lower(), f"body text is set in {font!r}, not the app's font stack (arial, sans-serif)"


@pytest.mark.parametrize("role", list(ROLE_FIXTURES))
def test_each_role_logs_in_and_lands_on_an_accessible_home_page(request, live_server, lits, ward_a, role):
    user = request.getfixturevalue(ROLE_FIXTURES[role])
    factories.SpellFactory(ward=ward_a)  # so the caseload, ward board and dashboard have rows to show
    with chromium_page(live_server.url) as page:
        page.goto(reverse("login"))
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(factories.PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
        assert page.url == live_server.url + reverse(HOME_PAGES[role])
        assert_styled_and_accessible(page)
