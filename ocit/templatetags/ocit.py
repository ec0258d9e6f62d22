import uuid

from django import template
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
