import functools

from django.apps import AppConfig
from django.db.backends.signals import connection_created


@functools.cache
def _timestamptz_loader(timezone):
    """A loader for PostgreSQL's timestamptz that does what Django's does (the value in the connection's time zone)
    but parses with psycopg's C loader where psycopg has one. Django's own loader derives from psycopg's pure-Python
    class (a C class cannot be derived from), so every date-time a query returned was parsed in Python: about a tenth
    of a page of the episode API's time (Django ticket #36960, psycopg issue #1273)."""
    import psycopg
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    parser = psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)

    class TimestamptzLoader(Loader):
        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.parse = parser(oid, context).load

        def load(self, data):
            value = self.parse(data)
            return value if value.tzinfo is timezone else value.replace(tzinfo=timezone)

    TimestamptzLoader.timezone = timezone  # Django compares it with the connection's before each cursor
    return TimestamptzLoader


def _parse_timestamps_in_c(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        connection.connection.adapters.register_loader("timestamptz", _timestamptz_loader(connection.timezone))


class OcitConfig(AppConfig):
    name = "ocit"
    verbose_name = "OCIT: accounts and audit"

    def ready(self):
        connection_created.connect(_parse_timestamps_in_c, dispatch_uid="ocit_timestamptz")
