"""The base of every list filter (pages and API share them)."""

import django_filters

from ocit.bounds import PlausibleInput


class FilterSet(django_filters.FilterSet):
    """A filter whose values out of bounds (a date in the year 7, a +18:16 offset) are field errors, a 400 in the
    API, rather than a query the database refuses."""

    def get_form_class(self):
        return type(f"{type(self).__name__}Form", (PlausibleInput, super().get_form_class()), {})
