from django.urls import reverse

from ocit.roles import can

# (label, URL name, capability, URL prefix that marks the item current)
NAVIGATION = [
    ("Caseload", "caseload:patients", "caseload.view", "/caseload/"),
    ("Ward board", "discharge:ward_board", "wardboard.view", "/wards/"),
    ("Dashboard", "benefits:dashboard", "dashboard.view", "/dashboard/"),
    ("Administration", "administration", "admin.access", "/administration/"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"navigation": []}
    items = [
        {"label": label, "href": reverse(url_name), "current": request.path.startswith(prefix)}
        for label, url_name, capability, prefix in NAVIGATION
        if can(user, capability)
    ]
    return {"navigation": items}
