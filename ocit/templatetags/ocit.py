import functools
import uuid

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html

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
