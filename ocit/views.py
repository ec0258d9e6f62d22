import redis
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from ocit.celery import app as celery_app
from ocit.models import ChangeLog, Role, User
from ocit.roles import HOME_PAGES, requires


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


@login_not_required
@never_cache
def healthz(request):
    """The state of the database and, when configured, Redis and the Celery workers. 503 without a database."""
    checks = {}
    http_status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"status": "ok", "vendor": connection.vendor}
    except Exception as error:  # any failure to reach the database means the service is down
        checks["database"] = {"status": "error", "error": type(error).__name__}
        http_status = 503
    if settings.REDIS_URL:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).ping()
            checks["redis"] = {"status": "ok"}
        except redis.RedisError as error:
            checks["redis"] = {"status": "error", "error": type(error).__name__}
        try:
            workers = celery_app.control.ping(timeout=0.5)
            checks["celery_workers"] = {"status": "ok" if workers else "none", "count": len(workers)}
        except Exception as error:  # the broker is down; already reported under redis
            checks["celery_workers"] = {"status": "error", "error": type(error).__name__}
    else:
        checks["celery_workers"] = {"status": "in-process"}
    overall = "ok" if all(check["status"] in ("ok", "in-process") for check in checks.values()) else "degraded"
    if http_status == 503:
        overall = "down"
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
