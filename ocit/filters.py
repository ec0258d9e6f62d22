"""The base of every list filter (pages and API share them)."""

import copy

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from ocit.bounds import PlausibleInput


class _Shared(dict):
    """A filter set's filters, or its form's fields: what each filter set or form copies for itself when made, for
    every request. Django and django-filter copy them deeply (each widget, its choices, the form field's queryset),
    a tenth of a list API's time; nothing changes them once a filter set is made, so a shallow copy of each does."""

    def __deepcopy__(self, memo):
        copies = {name: copy.copy(item) for name, item in self.items()}
        for item in copies.values():
            if isinstance(item, django_filters.Filter) and item.method is not None:
                item.method = item.method  # its FilterMethod calls this copy's filter set, not the original's
        return copies


class FilterSet(django_filters.FilterSet):
    """A filter whose values out of bounds (a date in the year 7, a +18:16 offset) are field errors, a 400 in the
    API, rather than a query the database refuses."""

    @classmethod
    def get_filters(cls):
        return _Shared(super().get_filters())

    def get_form_class(self):
        """The form class is built once per filter set, for pages and for the API, and then reused: django-filter
        would build it (a class and a form field per filter) on every request, a good part of a list's time."""
        api = self.request is not None and self.request.path.startswith("/api/")
        key = (type(self), api)
        if key not in _form_classes:
            bases = (PlausibleInput, super().get_form_class())
            if api:
                bases = (NoEmptyValues, *bases)  # a page's form sends its empty fields; an API client leaves them out
            form_class = type(f"{type(self).__name__}Form", bases, {})
            form_class.base_fields = _Shared(form_class.base_fields)
            _form_classes[key] = form_class
        return _form_classes[key]


# (FilterSet subclass, for the API?) → its form class. Every filter's form field is fixed when the class is defined
# (choices, and querysets that each form copies afresh), so one form class serves every request.
_form_classes = {}


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
