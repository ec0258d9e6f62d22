"""The base of every list filter (pages and API share them)."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from ocit.bounds import PlausibleInput


class FilterSet(django_filters.FilterSet):
    """A filter whose values out of bounds (a date in the year 7, a +18:16 offset) are field errors, a 400 in the
    API, rather than a query the database refuses."""

    def get_form_class(self):
        bases = (PlausibleInput, super().get_form_class())
        if self.request is not None and self.request.path.startswith("/api/"):
            bases = (NoEmptyValues, *bases)  # a page's form sends its empty fields; an API client leaves them out
        return type(f"{type(self).__name__}Form", bases, {})


class NoEmptyValues:
    """A parameter sent with no value (`?received_before=`) is a field error, not a filter quietly left off."""

    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            if name in self.data and all(value == "" for value in self.data.getlist(name)):
                self.add_error(name, "Give a value, or leave the parameter out.")
        return cleaned


class TrueOrFalse(forms.Field):
    """`true` or `false` (1 or 0), or nothing for no filter: any other value is a field error, where django-filter
    would quietly not filter at all."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if str(value).lower() in ("true", "1"):
            return True
        if str(value).lower() in ("false", "0"):
            return False
        raise ValidationError("Enter true or false.", code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = TrueOrFalse
