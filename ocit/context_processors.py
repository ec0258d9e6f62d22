from django.urls import reverse

from ocit.models import Role
from ocit.roles import can

# (label, URL name, capability, what marks the item current: view names, or a URL prefix)
NAVIGATION = [
    ("Triage", "caseload:triage", "caseload.view", {"caseload:triage"}),
    ("My caseload", "caseload:mine", "caseload.view", {"caseload:mine"}),
    ("Team caseload", "caseload:team", "caseload.view", {"caseload:team"}),
    ("Search", "caseload:search", "caseload.view", {"caseload:search", "caseload:patient_create"}),
    ("Ward board", "discharge:ward_board", "wardboard.view", "/wards/"),
    ("Dashboard", "benefits:dashboard", "dashboard.view", "/dashboard/"),
    ("Administration", "administration", "admin.access", "/administration/"),
]
# Each role's own start page comes first: coordinators work from the triage board, practitioners from their caseload.
FIRST = {Role.LIT_PRACTITIONER: "caseload:mine", Role.LIT_COORDINATOR: "caseload:triage"}


def _is_current(request, marker):
    if isinstance(marker, str):
        return request.path.startswith(marker)
    match = getattr(request, "resolver_match", None)
    return bool(match) and match.view_name in marker


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"navigation": []}
    first = FIRST.get(user.role)
    items = [
        {"label": label, "href": reverse(url_name), "current": _is_current(request, marker)}
        for label, url_name, capability, marker in sorted(NAVIGATION, key=lambda item: item[1] != first)
        if can(user, capability)
    ]
    return {"navigation": items}
