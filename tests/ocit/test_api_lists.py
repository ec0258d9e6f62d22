"""API lists page by keyset: every row once, in order, however the pages fall; and each list's default order is
read from an index (no sort of the whole table, no count of it), so a page costs the same at any size."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories

API = "/api/v1"


def walk(client, url, link="next"):
    """Every row's id, following the pages' links from `url`."""
    ids = []
    while url:
        body = client.get(url).json()
        ids += [row["id"] for row in body["results"]]
        url = body[link]
    return ids


def test_paging_by_cursor_gives_every_episode_once_newest_first_even_when_times_are_shared(client, coordinator, teams):
    now = timezone.now()
    episodes = [
        factories.EpisodeFactory(
            patient=factories.PatientFactory(team=teams["newfield-house"]),
            received_at=now - datetime.timedelta(minutes=number // 7),  # 7 at each moment: ties across pages
        )
        for number in range(120)
    ]
    client.force_login(coordinator)
    expected = [e.pk for e in sorted(episodes, key=lambda e: (e.received_at, e.pk), reverse=True)]
    assert walk(client, f"{API}/episodes/") == expected

    last = client.get(f"{API}/episodes/").json()
    while last["next"]:
        last = client.get(last["next"]).json()
    assert len(last["results"]) == 20
    back, page = [], last
    while page["previous"]:
        page = client.get(page["previous"]).json()
        back = [row["id"] for row in page["results"]] + back
    assert back == expected[:100]


# The referral list has its index too (referral_received), but with its five joined tables the planner's choice on
# a test database's few rows depends on what earlier tests left behind, so it is not checked here.
LISTS = {"episodes": "caseload_episode", "spells": "discharge_spell", "patients": "caseload_patient"}


@pytest.mark.postgres
@pytest.mark.parametrize("name", LISTS)
def test_each_lists_default_order_is_read_from_an_index(client, coordinator, ward_a, name):
    table = LISTS[name]
    # More rows than a page, and statistics that say so (what the planner knew from earlier tests must not decide).
    # Four times a page of stays: each stay's own subqueries cost the planner more than sorting a few rows, so with
    # barely more than a page it may read them all and sort, a fine plan for sixty rows but not for thousands.
    factories.EpisodeFactory.create_batch(60)
    factories.SpellFactory.create_batch(200 if name == "spells" else 60, ward=ward_a)
    with connection.cursor() as cursor:
        for analysed in ("caseload_patient", "caseload_episode", "discharge_spell"):
            cursor.execute(f"ANALYZE {analysed}")
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{API}/{name}/").status_code == 200
    [sql] = [q["sql"] for q in queries.captured_queries if f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"]]
    assert "COUNT(" not in " ".join(q["sql"] for q in queries.captured_queries)
    with connection.cursor() as cursor:
        # As on a big table, where 51 rows are read along an index and each looks up its relations by key. With
        # sorting off too, the planner sorts only when no index gives the order: on a test database's few rows it
        # may otherwise rightly sort them, as a run of earlier tests' statistics sometimes led it to.
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    nodes = list(plan_nodes((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]))
    sorts_of_the_list = [n for n in nodes if n["Node Type"] == "Sort" and n["Sort Key"][0].startswith(f"{table}.")]
    assert not sorts_of_the_list, sorts_of_the_list
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == table], nodes


def plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def test_each_serializer_and_filter_set_works_on_its_own_fields_and_filters():
    """Fields and filters are built once per class and copied for each use: no two uses share one."""
    from django.http import QueryDict

    from caseload.filters import EpisodeFilter
    from caseload.models import Episode
    from caseload.serializers import EpisodeSerializer

    first, second = EpisodeSerializer(), EpisodeSerializer()
    for name, field in first.fields.items():
        assert field is not second.fields[name]
        assert (field.parent, second.fields[name].parent) == (first, second)
    assert first.fields["keyworker"].method_name == "get_keyworker"

    one, other = (EpisodeFilter(QueryDict("breached=true"), queryset=Episode.objects.none()) for _ in range(2))
    assert one.filters["breached"] is not other.filters["breached"]
    assert one.filters["breached"].filter.method.__self__ is one  # a method filter calls its own filter set
    assert one.form.fields["lit"] is not other.form.fields["lit"]
