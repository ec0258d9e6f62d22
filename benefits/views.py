from django.shortcuts import render

from caseload import selectors as caseload_selectors
from discharge import selectors as discharge_selectors
from ocit.roles import requires

SMALL_NUMBER = 5


def suppress(count):
    """Counts under 5 could identify a patient: show them as '<5'."""
    return "<5" if 0 < count < SMALL_NUMBER else count


@requires("dashboard.view")
def dashboard(request):
    inpatients = discharge_selectors.inpatients_by_team()
    rows = [
        {
            "lit": team.name,
            "patients": suppress(team.patient_count),
            "in_hospital": suppress(inpatients.get(team.pk, 0)),
        }
        for team in caseload_selectors.patient_counts_by_team()
    ]
    return render(request, "benefits/dashboard.html", {"rows": rows})
