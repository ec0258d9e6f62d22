import statistics

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class _Median:
    """SQLite has no median: the recompute's `benefits_median(x)` on the embedded demo database."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def _add_median(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("benefits_median", 1, _Median)


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = "Benefits realisation"

    def ready(self):
        connection_created.connect(_add_median, dispatch_uid="benefits_median")
