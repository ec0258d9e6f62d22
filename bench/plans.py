"""How each list reads the seeded data: every page and API list with each of its filters, its queries explained
(EXPLAIN ANALYZE) against the scale's real rows and statistics.

One JSON line per list and filter: {"name", "url", "slowest_query_ms", "whole_table_reads", "largest_sort",
"scale"}. A whole-table read is a sequential scan that read BIG rows or more (the table and the rows read); the
largest sort is the most rows any sort in the request took in. A list backed by its indexes reads neither, and
its slowest query costs about the same at every scale.
"""

import json

from django.db import connection
from django.test import Client
from django.test.utils import override_settings

BIG = 10_000  # rows: a table this size or more is not read whole for one page

# Reads every request makes whatever the page (the session and its user): not the list's. Writes are not explained.
OWN = ('FROM "django_session"', 'FROM "ocit_user"')


def run(scale):
    from ocit.models import User

    roles = {role: User.objects.get(email=f"{role}@ocit.test") for role in ("coordinator", "ward", "practitioner")}
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for name, role, url in lists():
            client = Client()
            client.force_login(roles[role])
            figures = explain(client, url)
            print(json.dumps({"name": name, "url": url, **figures, "scale": scale}), flush=True)


def lists():
    """(name, role, url) for each list with no filter, then with each of its filters set to a real value."""
    from caseload.models import Patient, Team
    from discharge.models import Spell, Ward
    from ocit.models import User

    lit = Team.objects.order_by("pk").values_list("code", flat=True).first()
    patient = Spell.objects.filter(discharged_at=None).order_by("pk").values_list("patient_id", flat=True).first()
    spell = Spell.objects.filter(discharged_at=None).order_by("pk").values_list("pk", flat=True).first()
    ward = Ward.objects.filter(is_active=True).order_by("pk").first()
    own_ward = User.objects.get(email="ward@ocit.test").wards.order_by("pk").first()
    practitioner = User.objects.get(email="practitioner@ocit.test").pk
    postcode = Patient.objects.order_by("pk").values_list("postcode", flat=True).first().split()[0]
    week_ago = "2026-01-01T00:00:00Z"
    filters = {
        ("episodes", "/api/v1/episodes/", "coordinator"): [
            f"lit={lit}",
            "service=step_up_reablement",
            "priority=urgent",
            "discipline=nurse",
            "status=active",
            "status=awaiting_allocation",
            "source=ward",
            f"patient={patient}",
            f"practitioner={practitioner}",
            "breached=true",
            f"received_after={week_ago}",
            f"received_before={week_ago}",
        ],
        ("patients", "/api/v1/patients/", "coordinator"): [f"lit={lit}", f"postcode={postcode}"],
        ("referrals", "/api/v1/referrals/", "coordinator"): [
            "status=received",
            "source=ward",
            f"lit={lit}",
            f"ward={ward.code}",
            "urgency=urgent",
            "requested_service=step_up_reablement",
            "overdue=true",
            f"patient={patient}",
            f"spell={spell}",
        ],
        ("referrals_as_ward_staff", "/api/v1/referrals/", "ward"): ["status=received"],
        ("spells", "/api/v1/spells/", "ward"): [
            f"ward={ward.code}",
            "open=true",
            "open=false",
            "nctr=true",
            "pathway=1",
            f"lit={lit}",
            f"patient={patient}",
        ],
        ("triage", "/caseload/triage/", "coordinator"): [
            f"lit={lit}",
            "service=step_up_reablement",
            "priority=urgent",
            "discipline=nurse",
        ],
        ("team_caseload", "/caseload/team/", "coordinator"): [
            "lit=all",
            "service=step_up_reablement",
            "priority=urgent",
        ],
        ("my_caseload", "/caseload/mine/", "practitioner"): [],
        ("today", "/caseload/today/", "practitioner"): [],
        ("referral_list", "/referrals/", "coordinator"): [
            "status=received",
            f"lit={lit}",
            f"ward={ward.code}",
            "urgency=urgent",
            "overdue=true",
        ],
        ("pull_list", "/referrals/pull-list/", "coordinator"): ["lit=all"],
        ("pull_list_not_referred", "/referrals/pull-list/not-referred/", "coordinator"): ["lit=all"],
        ("pull_list_in_hospital", "/referrals/pull-list/in-hospital/", "coordinator"): ["lit=all"],
        ("referral_list_as_ward_staff", "/referrals/", "ward"): [],
        ("ward_board", "/wards/", "ward"): [f"ward={own_ward.pk}"],
    }
    for (name, url, role), parameters in filters.items():
        yield name, role, url
        for parameter in parameters:
            yield f"{name}?{parameter}", role, f"{url}?{parameter}"


def explain(client, url):
    """Request the address, then run each SELECT it made of the list again under EXPLAIN ANALYZE."""
    queries = []

    def record(execute, sql, params, many, context):
        queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    slowest, whole_reads, largest_sort = 0.0, {}, 0
    with connection.cursor() as cursor:
        for sql, params in queries:
            if not sql.lstrip().startswith("SELECT") or any(marker in sql for marker in OWN):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = (plan if isinstance(plan, list) else json.loads(plan))[0]
            slowest = max(slowest, plan["Planning Time"] + plan["Execution Time"])
            for node in nodes(plan["Plan"]):
                read = node.get("Actual Rows", 0) * node.get("Actual Loops", 1) + node.get("Rows Removed by Filter", 0)
                if node["Node Type"] == "Seq Scan" and read >= BIG:
                    whole_reads[node["Relation Name"]] = max(whole_reads.get(node["Relation Name"], 0), read)
                if node["Node Type"] in ("Sort", "Incremental Sort"):
                    taken = sum(child.get("Actual Rows", 0) * child.get("Actual Loops", 1) for child in node["Plans"])
                    largest_sort = max(largest_sort, taken)
    return {
        "slowest_query_ms": round(slowest, 2),
        "whole_table_reads": whole_reads,
        "largest_sort": largest_sort,
    }


def nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)
