"""Shared by the browser tests: a signed-in Chromium page that records script errors, and the axe-core check."""

from contextlib import contextmanager

from django.conf import settings
from django.test import Client

from tests import conftest

AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"


@contextmanager
def logged_in_page(live_server, user):
    """A Chromium page signed in as `user` (through a session made by the test client), recording script errors;
    signed out with `user` None.

    Create test data before opening the page: Playwright's sync API runs an event loop in this thread.
    """
    from playwright.sync_api import sync_playwright

    session = None
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=conftest.CHROMIUM or "/usr/bin/chromium",
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            # The CSP stays on, so an inline script or style shows up as a console error. axe is injected through
            # DevTools (page.evaluate), which the policy does not restrict, so bypass_csp is not needed.
            context = browser.new_context(base_url=live_server.url)
            if session:
                context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
            page = context.new_page()
            page.errors = []
            page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            yield page
        finally:
            browser.close()


def fill_date(scope, legend, value):
    """Type `value` (a date, or a datetime) into the NHS.UK date input whose legend is `legend`."""
    group = scope.get_by_role("group", name=legend, exact=True)
    parts = {"Day": value.day, "Month": value.month, "Year": value.year}
    if hasattr(value, "hour"):
        parts |= {"Hour": f"{value.hour:02d}", "Minute": f"{value.minute:02d}"}
    for label, number in parts.items():
        group.get_by_label(label, exact=True).fill(str(number))


def serious_accessibility_failures(page):
    page.evaluate(AXE.read_text())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['impact']}: {violation['id']} ({violation['help']}) at "
        + ", ".join(f"{' '.join(node['target'])} ({_first_reason(node)})" for node in violation["nodes"])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def _first_reason(node):
    """The first line of what axe says is wrong with the node, after its "Fix any/all of the following:"."""
    lines = [line.strip() for line in (node.get("failureSummary") or "").splitlines()[1:] if line.strip()]
    return lines[0] if lines else "no reason given"


def assert_accessible_without_errors(page, screen=""):
    failures = serious_accessibility_failures(page)
    assert not failures, f"{screen}: " + "\n".join(failures)
    assert not page.errors, f"{screen}: {page.errors}"
