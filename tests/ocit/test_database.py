import datetime

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.pq import Format

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# Both clock changes of 2026 in London, a leap day, the ends of the range, microseconds and offsets other than UTC.
INSTANTS = [
    "2026-03-29 00:59:59.999999+00",
    "2026-03-29 01:00:00+00",
    "2026-10-25 00:30:00+01",
    "2026-10-25 01:30:00+00",
    "2028-02-29 23:59:59+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2026-11-27 09:15:00-05:30",
]


def _read(cursor):
    cursor.execute(
        "SELECT value::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(value, n) ORDER BY n", [INSTANTS]
    )
    return [value for (value,) in cursor.fetchall()]


def test_date_times_read_the_same_as_with_djangos_own_loader():
    with connection.cursor() as cursor:
        ours = _read(cursor)
    with connection.cursor() as cursor:
        loader = type("DjangoLoader", (BaseTzLoader,), {"timezone": connection.timezone})
        cursor.cursor.adapters.register_loader("timestamptz", loader)  # this cursor only
        djangos = _read(cursor)
    assert ours == djangos
    assert [value.tzinfo for value in ours] == [datetime.UTC] * len(INSTANTS)
    assert ours[1] - ours[0] == datetime.timedelta(microseconds=1)
    assert ours[2] == datetime.datetime(2026, 10, 24, 23, 30, tzinfo=datetime.UTC)
    assert ours[7] == datetime.datetime(2026, 11, 27, 14, 45, tzinfo=datetime.UTC)


def test_date_times_are_parsed_by_psycopgs_c_loader_where_it_has_one():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
    assert loader.timezone == connection.timezone  # else Django registers its own on every cursor
    parser = type(loader(psycopg.adapters.types["timestamptz"].oid, connection.connection).parse.__self__)
    assert parser is psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
    if psycopg.pq.__impl__ in ("c", "binary"):
        assert parser.__module__.startswith("psycopg_binary") or parser.__module__.startswith("psycopg_c")
