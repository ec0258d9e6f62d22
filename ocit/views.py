import json
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views import defaults
from django.views.decorators.cache import never_cache

from ocit.api import problem_response
from ocit.celery import app as celery_app
from ocit.celery import broker_answers
from ocit.models import ChangeLog, Role, User
from ocit.roles import HOME_PAGES, requires


def _api(request):
    return request.path.startswith("/api/")


# The error pages: HTML for people, problem details for the API (whatever failed, an /api/ answer is JSON).


def bad_request(request, exception):
    if _api(request):
        return problem_response(400, "The request could not be read.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _api(request):
        return problem_response(403, "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _api(request):
        return problem_response(404, "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _api(request):
        return problem_response(500, "Something went wrong on our side. Try again; if it happens again, tell the "
                                "system administrator.")  # fmt: skip
    return defaults.server_error(request)


def home(request):
    """Each role starts on the page it works from (an interface account has none: it never uses the pages)."""
    if request.user.role not in HOME_PAGES:
        raise PermissionDenied
    return redirect(HOME_PAGES[request.user.role])


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter the email address and password of your OCIT account. Both are case-sensitive.",
        "inactive": "This account has been deactivated. Ask a system administrator.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "spellcheck": "false"})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        # The admin sends a signed-in user without admin access to its login page, and sending them
        # back to the admin would loop forever: tell them they have no access instead.
        match = request.resolver_match
        if request.user.is_authenticated and match and match.namespace == "admin" and not request.user.is_staff:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


login = login_not_required(LoginView.as_view())


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # Nothing of the session stays on the device: the Today page kept for offline use, the outbox, the worker.
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


logout = LogoutView.as_view()


# Working without a signal (caseload/today.py) ------------------------------------------------------------

OFFLINE_SHELL = [
    "css/app.css",
    "js/app.js",
    "js/nhsuk-frontend.min.js",
    "js/htmx.min.js",
    "js/supported.js",
    "js/offline/connection.js",
    "js/offline/today.js",
    "nhsuk/images/favicon.svg",
]


@login_not_required
def service_worker(request):
    """The service worker, at the site's root so that it may serve every page: its settings, then the script
    built from ocit/frontend/offline/sw.js."""
    path = finders.find("js/offline/sw.js") or staticfiles_storage.path("js/offline/sw.js")
    config = {
        "shell": [static(name) for name in OFFLINE_SHELL],
        "offline": reverse("offline"),
        "today": reverse("caseload:today"),
    }
    script = f"self.OCIT = {json.dumps(config)};\n" + Path(path).read_text()
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
def manifest(request):
    """The web app manifest: practitioners can install the app and open Today from their home screen."""
    icons = [
        {"src": static(f"nhsuk/images/nhsuk-icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    body = {
        "name": "OCIT Care Record",
        "short_name": "OCIT",
        "description": "The One Coventry Integrated Team's care record: today's visits, with or without a signal.",
        "id": "/",
        "start_url": reverse("caseload:today"),
        "scope": "/",
        "display": "standalone",
        "lang": "en-GB",
        "background_color": "#f0f4f5",
        "theme_color": "#005eb8",
        "icons": icons,
    }
    return JsonResponse(body, content_type="application/manifest+json")


@login_not_required
def offline(request):
    """What the service worker shows for a page opened without a connection. Kept on the device, so it names
    nobody: it is rendered as for a visitor who is not signed in, but it does not say the session has ended (the
    page's script would then clear the Today copy the practitioner needs without a signal)."""
    request.user = AnonymousUser()
    return render(request, "offline.html", {"offline_page": True})


HEALTH_DEADLINE = 0.8  # seconds: a container health check waits a few seconds at most


def _database_check():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"status": "ok", "vendor": connection.vendor}
    except Exception as error:  # any failure to reach the database means the service is down
        return {"status": "error", "error": type(error).__name__}
    finally:
        connection.close()  # this thread's own connection


def _queue_checks():
    if not settings.REDIS_URL:
        return {"celery_workers": {"status": "in-process"}}
    if not broker_answers(timeout=0.3):
        return {"redis": {"status": "error", "error": "no answer"}, "celery_workers": {"status": "unknown"}}
    return {"redis": {"status": "ok"}, "celery_workers": _workers_check()}


WORKERS_CHECKED_EVERY = 30  # seconds: a ping waits its whole timeout when no worker answers


def _workers_check():
    """Whether a Celery worker answers a ping, asked at most every WORKERS_CHECKED_EVERY seconds across the web
    workers (the answer is shared through the cache): a health check every few seconds must not hold a web worker
    for the ping's timeout each time."""
    checked = cache.get("healthz:celery_workers")
    if checked is None:
        try:
            answered = celery_app.control.ping(timeout=0.4, limit=1)  # the first answer is enough
            checked = {"status": "ok" if answered else "none"}
        except Exception as error:  # the broker went away between the two checks
            checked = {"status": "error", "error": type(error).__name__}
        cache.set("healthz:celery_workers", checked, WORKERS_CHECKED_EVERY)
    return checked


@login_not_required
@never_cache
def healthz(request):
    """The state of the database and, when configured, Redis and the Celery workers; 503 without a database.

    The checks run at once, each in a thread of its own, and the answer comes within HEALTH_DEADLINE whatever is
    down: a check still waiting then is reported as "timeout".
    """
    pool = ThreadPoolExecutor(max_workers=2)
    database, queue = pool.submit(_database_check), pool.submit(_queue_checks)
    wait([database, queue], timeout=HEALTH_DEADLINE)
    pool.shutdown(wait=False)
    checks = {"database": database.result() if database.done() else {"status": "timeout"}}
    checks.update(queue.result() if queue.done() else {"redis": {"status": "timeout"}})
    if checks["database"]["status"] != "ok":
        overall, http_status = "down", 503
    elif all(check["status"] in ("ok", "in-process") for check in checks.values()):
        overall, http_status = "ok", 200
    else:
        overall, http_status = "degraded", 200
    return JsonResponse({"status": overall, "checks": checks}, status=http_status)


@requires("admin.access")
def administration(request):
    users_by_role = dict(User.objects.filter(is_active=True).values_list("role").annotate(n=Count("id")))
    return render(
        request,
        "ocit/administration.html",
        {
            "roles": [(label, users_by_role.get(value, 0)) for value, label in Role.choices],
            "recent_changes": ChangeLog.objects.select_related("actor")[:10],
        },
    )
