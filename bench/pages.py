"""Server time of pages and API calls, in process through Django's test client, against the seeded data.

Each figure is the median of repeated requests after a warm-up, reported with its SQL query count and
its ratio to a trivial Django view measured in the same run.
"""

import functools
import statistics
import time

from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path

from caseload.models import Episode

REPEAT = 30


def trivial(request):
    return HttpResponse("ok")


# The least a page with rows can be here: the page's chrome (base.html) around 25 rows of one indexed query, seven
# plain cells each; no filters, count, audit or template tags. It shows how near the framework's floor a list can get.
BARE_LIST = """{% extends "base.html" %}{% block content %}<table>{% for episode in rows %}<tr>
<td>{{ episode.due_by }}</td>
<td><a href="/caseload/patients/{{ episode.patient_id }}/">{{ episode.patient.full_name }}</a></td>
<td>{{ episode.patient.nhs_number }}</td><td>{{ episode.get_service_display }}</td>
<td>{{ episode.get_priority_display }}</td><td>{{ episode.team.name }}</td><td>{{ episode.received_at }}</td>
</tr>{% endfor %}</table>{% endblock %}"""


@functools.cache
def _bare_list_template():
    return engines["django"].from_string(BARE_LIST)


def bare_list(request):
    rows = Episode.objects.filter(status="awaiting_allocation").select_related("patient", "team")
    return HttpResponse(_bare_list_template().render({"rows": rows.order_by("due_by", "pk")[:25]}, request))


urlpatterns = [
    path("bench/trivial/", trivial),
    path("bench/bare-list/", bare_list),
    path("", include("ocit.urls")),
]


def measure(client, url):
    """Median milliseconds and the query count of one request."""
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    query_count = len(queries)  # read now: the next request clears the log
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), query_count


def run(emit, scale, pages):
    """pages: [(name, user, url)] — each measured as `user`."""
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(pages[0][1])  # the same middleware and session work as the pages measured
        baseline, _ = measure(client, "/bench/trivial/")
        emit("trivial_view_median", round(baseline, 2), "ms", scale)
        for name, user, url in pages:
            client.force_login(user)
            median, queries = measure(client, url)
            emit(f"{name}_median", round(median, 2), "ms", scale)
            emit(f"{name}_queries", queries, "queries", scale)
            emit(f"{name}_ratio_to_trivial", round(median / baseline, 1), "x", scale)
