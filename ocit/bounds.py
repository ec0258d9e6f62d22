"""Plausible values: every date and time the record holds falls in a range a care record can have, every free text
has a size a person could type. Checked by the models' validators (so forms, serializers and services that clean
the model refuse them with a field error) and by database CHECK constraints (so nothing else can store them).

Without these, an episode received in the year 7 was stored, and the nightly figures then started from the year 7.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

EARLIEST = datetime.date(2000, 1, 1)  # nothing OCIT records (care, stays, referrals) happened before this
LATEST = datetime.date(2100, 1, 1)  # nor after this (a planned date may be ahead; not a century ahead)
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
LARGEST_OFFSET = datetime.timedelta(hours=14)  # the widest time-zone offset in use (UTC+14, Kiribati)

# Free text: what a person could type in the box, with room to spare.
NOTES = 4_000  # contact notes, clinical criteria, what matters to the person
LONG_TEXT = 10_000  # the reason for a referral, with its history pasted in
TOO_LONG = "Keep this to %(limit_value)s characters or fewer (it has %(show_value)s)."


def _moment(day):
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def plausible_date(value, earliest=EARLIEST):
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not earliest <= day < LATEST:
        raise ValidationError(
            f"Enter a date between {earliest:%-d %B %Y} and the end of {LATEST.year - 1}.", code="implausible"
        )


def _utc_day(value):
    """The moment's day in UTC, refusing an offset no place on Earth uses (PostgreSQL would refuse it later)."""
    if not timezone.is_aware(value):
        return value.date()
    if abs(value.utcoffset()) > LARGEST_OFFSET:
        raise ValidationError("Give a time zone offset between -14:00 and +14:00.", code="implausible")
    return value.astimezone(datetime.UTC).date()


def plausible_moment(value):
    if value is not None:
        plausible_date(_utc_day(value))


def plausible_birth(value):
    plausible_date(value, earliest=EARLIEST_BIRTH)


def in_range(model_name, field, *, moment, earliest=EARLIEST):
    """The database's CHECK that a date (or, with `moment`, a date and time) column stays in range; NULL passes."""
    low, high = (_moment(earliest), _moment(LATEST)) if moment else (earliest, LATEST)
    return models.CheckConstraint(
        name=f"{model_name}_{field}_in_range",
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lt": high}),
        violation_error_message=f"{field} is outside {earliest.year} to {LATEST.year - 1}.",
    )


class LimitedTextField(models.TextField):
    """Free text with its `max_length` checked by the model's validation too (Django leaves a TextField's to the
    form); forms and serializers made from the model take the limit with it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length, TOO_LONG))


# At the way in: whatever a form, a filter or an API body carries is checked before anything reads it, loosely
# (the models hold the precise ranges): a date between 1900 and 2099, a real time-zone offset, text of a size a
# person could type. A value outside these can only be a mistake or an attack, and some (a +18:16 offset, the
# year 7) would fail in the database rather than on the form.


def implausible(values, prefix=""):
    """{field: message} for every value out of bounds, nested dictionaries (a new patient in a referral) included."""
    errors = {}
    for name, value in values.items():
        try:
            if isinstance(value, dict):
                errors.update(implausible(value, prefix=f"{prefix}{name}."))
            elif isinstance(value, datetime.datetime):
                plausible_birth(_utc_day(value))
            elif isinstance(value, datetime.date):
                plausible_birth(value)
            elif isinstance(value, str) and len(value) > LONG_TEXT:
                raise ValidationError(TOO_LONG % {"limit_value": f"{LONG_TEXT:,}", "show_value": f"{len(value):,}"})
        except ValidationError as error:
            errors[f"{prefix}{name}"] = error.messages[0]
    return errors


class PlausibleInput:
    """A form mixin: values out of bounds are field errors (see `implausible`)."""

    def clean(self):
        cleaned = super().clean()
        for name, message in implausible(self.cleaned_data).items():
            self.add_error(name if name in self.fields else None, message)
        return cleaned
