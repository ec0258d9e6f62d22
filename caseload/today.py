"""Today: a practitioner's visits, kept on their phone for the day so that they can be worked without a signal.

The page is an ordinary page; the service worker (ocit/frontend/offline/sw.js) keeps today's copy, and the page's
script (ocit/frontend/offline/today.js) keeps what is recorded without a signal and sends it through the API
(`POST /api/v1/episodes/{id}/contacts/`, `PATCH /api/v1/goals/{id}/`) with an Idempotency-Key, so a resend never
doubles it. Nothing else is kept: no other page, no other role.
"""

from django.shortcuts import render
from django.utils import timezone

from caseload import selectors
from caseload.models import ContactLocation, GoalStatus
from ocit import audit
from ocit.roles import requires

KEPT_HEADER = "X-Kept-Offline"  # the service worker keeps only responses that carry it


@requires("visits.offline")
def today(request):
    episodes = list(selectors.todays_visits(user=request.user))
    audit.log_shown(request, episodes)
    now = timezone.localtime()
    response = render(
        request,
        "caseload/today.html",
        {
            "episodes": episodes,
            "today": now.date(),
            "now": now,
            "locations": ContactLocation.choices,
            "goal_statuses": GoalStatus.choices,
        },
    )
    response[KEPT_HEADER] = now.date().isoformat()
    return response
