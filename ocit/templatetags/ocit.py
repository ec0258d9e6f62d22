import datetime
import functools
import uuid

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html, format_html_join

from ocit import roles

register = template.Library()


@register.simple_tag(takes_context=True)
def url_with(context, **changes):
    """The current URL's query string with some parameters changed (filters stay in the URL)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return "?" + query.urlencode()


@register.filter(name="can")
def can_filter(user, capability):
    """`{% if user|can:"caseload.allocate" %}`: the same role table the views use."""
    return roles.can(user, capability)


@register.simple_tag
def form_token():
    """`{% form_token %}`: a one-time key for the form, so that however many times it is sent (a double tap, a
    retry on a poor connection) it is acted on once (see `ocit.idempotency`)."""
    return format_html('<input type="hidden" name="form_token" value="{}">', uuid.uuid4())


@register.simple_tag
def options(choices, selected=None):
    """`<select>{% options goal_statuses goal.status %}</select>`: the (value, label) choices as options, the chosen one
    selected. For a select in each card of a list: a loop in the template costs every option a dozen lookups, and
    the cards of a list share a few choices, so each set of options is written once."""
    return _options(tuple(choices), selected)


@functools.lru_cache(maxsize=256)
def _options(choices, selected):
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in choices),
    )


@register.simple_tag
def url_for(name, pk):
    """`{% url_for 'caseload:patient_detail' patient.pk %}`: `{% url %}` for an address with one id in it, for the
    rows of a list. Django reverses every address afresh (a tenth of a row's time on the busiest lists); here each
    address is reversed once, with a marker for the id, and the row's id put in its place."""
    return _address(name, get_script_prefix()).replace(_MARKER, str(int(pk)))


_MARKER = "2147483647"


@functools.cache
def _address(name, prefix):
    """The address with the marker for its id (the prefix, where the app is served, is part of the key)."""
    address = reverse(name, args=[int(_MARKER)])
    if address.count(_MARKER) != 1:
        raise ValueError(f"{name}: {address} is not an address with one id")
    return address


# Dates as the lists show them. Django's `date` filter reads its format a letter at a time and looks each month name
# up through translation: 45-90 microseconds a date, a tenth of the longest pages. These give the same text with
# strftime, as the clocks' own dates are written, at a twentieth of the cost. Like `date`, they are handed aware times
# already in local time (`expects_localtime`), and give "" for anything that is not a date.


@register.filter(expects_localtime=True)
def day(value):
    """`{{ episode.received_at|day }}`: "3 Jun 2025", as `|date:"j M Y"`."""
    if not isinstance(value, datetime.date):
        return ""
    return f"{value:%-d %b %Y}"


@register.filter(expects_localtime=True)
def day_time(value):
    """`{{ referral.received_at|day_time }}`: "3 Jun 2025 09:05", as `|date:"j M Y H:i"`."""
    if not isinstance(value, datetime.datetime):
        return ""
    return f"{value:%-d %b %Y %H:%M}"


@register.filter(expects_localtime=True)
def iso(value):
    """`<time datetime="{{ entry.when|iso }}">`: the date or time in ISO 8601, as `|date:"c"`."""
    if not isinstance(value, datetime.date):
        return ""
    return value.isoformat()
