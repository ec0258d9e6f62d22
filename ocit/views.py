from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import redirect, render
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
    """Each role starts on the page it works from."""
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
logout = auth_views.LogoutView.as_view()


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
    try:
        workers = celery_app.control.ping(timeout=0.4)
    except Exception as error:  # the broker went away between the two checks
        return {"redis": {"status": "ok"}, "celery_workers": {"status": "error", "error": type(error).__name__}}
    return {"redis": {"status": "ok"}, "celery_workers": {"status": "ok" if workers else "none", "count": len(workers)}}


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
