"""Form data as a browser posts it: a date as the NHS.UK date input's boxes (ocit/widgets.py)."""

import datetime

from django.utils import timezone


def boxes(name, value):
    """The boxes of `name` holding `value`: day, month and year of a date; hour and minute too for a datetime."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        parts = {"day": value.day, "month": value.month, "year": value.year, "hour": value.hour, "minute": value.minute}
    else:
        parts = {"day": value.day, "month": value.month, "year": value.year}
    return {f"{name}_{part}": str(number) for part, number in parts.items()}


def posted(values, prefix=""):
    """`values` as posted by a form with `prefix`: each date or datetime spread over its boxes."""
    data = {}
    for name, value in values.items():
        if isinstance(value, datetime.date):
            data |= boxes(prefix + name, value)
        else:
            data[prefix + name] = value
    return data
