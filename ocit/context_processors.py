import functools

from django.urls import get_script_prefix, reverse

from ocit.models import Role
from ocit.roles import can

# (label, URL name, capability, what marks the item current: a URL prefix, or a set of view names and prefixes)
NAVIGATION = [
    ("Triage", "caseload:triage", "caseload.view", {"caseload:triage"}),
    ("Today", "caseload:today", "visits.offline", {"caseload:today"}),
    ("My caseload", "caseload:mine", "caseload.view", {"caseload:mine"}),
    ("Team caseload", "caseload:team", "caseload.view", {"caseload:team"}),
    ("Search", "caseload:search", "caseload.view", {"caseload:search", "caseload:patient_create"}),
    # Raising a referral and recording a discharge start from a patient on the ward board.
    ("Ward board", "discharge:ward_board", "wardboard.view", {"/wards/", "referrals:raise", "referrals:discharge"}),
    ("Pull list", "referrals:pull_list", "pulllist.view", {"referrals:pull_list"}),
    ("Referrals", "referrals:list", "referral.view", {"referrals:list", "referrals:detail"}),
    ("Dashboard", "benefits:dashboard", "dashboard.view", "/dashboard/"),
    ("Administration", "administration", "admin.access", "/administration/"),
]
# Each role's own pages come first: coordinators work from the triage board, practitioners from their caseload and
# their day's visits.
FIRST = {Role.LIT_PRACTITIONER: ["caseload:mine", "caseload:today"], Role.LIT_COORDINATOR: ["caseload:triage"]}


def _is_current(request, marker):
    if isinstance(marker, str):
        return request.path.startswith(marker)
    match = getattr(request, "resolver_match", None)
    prefixes = [item for item in marker if item.startswith("/")]
    return any(request.path.startswith(prefix) for prefix in prefixes) or (bool(match) and match.view_name in marker)


@functools.cache
def _href(url_name, prefix):
    """The menu's addresses, reversed once per process and prefix (where the app is served): every page shows them."""
    return reverse(url_name)


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"navigation": []}
    first = FIRST.get(user.role, [])
    items = [
        {"label": label, "href": _href(url_name, get_script_prefix()), "current": _is_current(request, marker)}
        for label, url_name, capability, marker in sorted(
            NAVIGATION, key=lambda item: first.index(item[1]) if item[1] in first else len(first)
        )
        if can(user, capability)
    ]
    return {"navigation": items}


def offline(request):
    """Whether this user's device may keep Today's visits for use without a signal (base.html tells the script)."""
    # offline_page: the page served when there is no connection says so itself (ocit.views).
    return {"keeps_offline": can(getattr(request, "user", None), "visits.offline"), "offline_page": False}
