"""Shared by the browser tests: a signed-in Chromium page that records script errors, and the axe-core check."""

from contextlib import contextmanager

from django.conf import settings
from django.test import Client

from tests import conftest

AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"


@contextmanager
def logged_in_page(live_server, user):
    """A Chromium page signed in as `user` (through a session made by the test client), recording script errors.

    Create test data before opening the page: Playwright's sync API runs an event loop in this thread.
    """
    from playwright.sync_api import sync_playwright

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
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
            page = context.new_page()
            page.errors = []
            page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
            page.on("pageerror", lambda error: page.errors.append(str(error)))
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


def assert_accessible_without_errors(page, screen=""):
    failures = serious_accessibility_failures(page)
    assert not failures, f"{screen}: " + "\n".join(failures)
    assert not page.errors, f"{screen}: {page.errors}"
