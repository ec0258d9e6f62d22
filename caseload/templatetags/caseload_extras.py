"""Small display helpers for the caseload screens: the response clock, durations, flags and paging."""

import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join

register = template.Library()

DUE_SOON = datetime.timedelta(hours=1)


def format_duration(delta):
    """'1 h 20 min', '35 min', '2 days 3 h' (minutes are left out once it is days)."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "less than 1 min"


def response_clock(episode, now=None):
    """(text, state) for the episode's response standard: state is breached, due_soon, open, met, missed or waiting
    (a step-down episode whose patient is still in hospital: its clock starts at discharge)."""
    if episode.due_by is None:
        return "Starts at discharge", "waiting"
    if episode.first_contact_at:
        gap = format_duration(episode.first_contact_at - episode.due_by)
        if episode.met_standard:
            return f"Met: first seen {gap} before due", "met"
        return f"Not met: first seen {gap} late", "missed"
    left = episode.time_left(now)
    if left < datetime.timedelta(0):
        return f"Breached {format_duration(left)} ago", "breached"
    return f"{format_duration(left)} left", "due_soon" if left < DUE_SOON else "open"


_CLOCK_TAGS = {
    "breached": "nhsuk-tag--red",
    "due_soon": "nhsuk-tag--orange",
    "open": "nhsuk-tag--white",
    "met": "nhsuk-tag--green",
    "missed": "nhsuk-tag--red",
    "waiting": "nhsuk-tag--grey",
}


@register.simple_tag
def clock(episode):
    """The response clock as an NHS tag: `{% clock episode %}`."""
    text, state = response_clock(episode)
    return format_html('<strong class="nhsuk-tag {} app-clock">{}</strong>', _CLOCK_TAGS[state], text)


@register.simple_tag
def in_hospital(record):
    """`{% in_hospital episode %}`: the tag saying an episode's (or a patient's) person is on a ward, from the
    `in_hospital_*` columns `selectors.in_hospital` adds; nothing when they are not."""
    ward = getattr(record, "in_hospital_ward", None)
    if not ward:
        return ""
    ready = record.in_hospital_ready_on
    ready = f", ready for discharge from {ready:%-d %b}" if ready else ", not yet ready for discharge"
    return format_html(
        '<strong class="nhsuk-tag nhsuk-tag--purple app-in-hospital">In hospital: {}{}</strong>', ward, ready
    )


@register.simple_tag
def flags(patient):
    """`{% flags patient %}`: what anyone visiting the person must know first, as tags (nothing when there is none)."""
    tags = []
    if patient.lives_alone:
        tags.append(("yellow", "Lives alone"))
    if patient.interpreter_language:
        tags.append(("blue", f"Interpreter: {patient.interpreter_language}"))
    if not patient.consent_to_share:
        tags.append(("orange", "No consent to share"))
    if not tags:
        return ""
    items = format_html_join("", '<li><strong class="nhsuk-tag nhsuk-tag--{}">{}</strong></li>', tags)
    return format_html('<ul class="nhsuk-list app-flags">{}</ul>', items)


@register.filter
def since(value):
    """How long ago: '3 h 10 min ago'."""
    if not value:
        return ""
    return f"{format_duration(timezone.now() - value)} ago"


@register.filter
def yes_no(value):
    return {True: "Yes", False: "No"}.get(value, "Not known")


@register.filter
def next_contact(day, today=None):
    """'Today', 'Tomorrow', '3 Jun 2025', or an overdue warning."""
    if not day:
        return "Not planned"
    today = today or timezone.localdate()
    if day == today:
        return "Today"
    if day == today + datetime.timedelta(days=1):
        return "Tomorrow"
    if day < today:
        return f"Overdue: planned for {day:%-d %b %Y}"
    return f"{day:%a %-d %b %Y}"


@register.simple_tag(takes_context=True)
def page_url(context, param, number, anchor=""):
    """The current URL with one paging parameter changed (for lists with their own page parameter)."""
    query = context["request"].GET.copy()
    query[param] = number
    return f"?{query.urlencode()}{anchor}"


@register.filter
def discipline(code):
    """A discipline's label from its code (annotations carry codes, not model instances)."""
    from ocit.models import Discipline

    try:
        return Discipline(code).label
    except ValueError:
        return ""


_PRIORITY_TAGS = {"urgent": "nhsuk-tag--red", "high": "nhsuk-tag--yellow", "routine": "nhsuk-tag--grey"}
_STATUS_TAGS = {"awaiting_allocation": "nhsuk-tag--orange", "active": "nhsuk-tag--blue", "closed": "nhsuk-tag--grey"}


@register.simple_tag
def priority_tag(episode):
    return format_html(
        '<strong class="nhsuk-tag {}">{}</strong>',
        _PRIORITY_TAGS.get(episode.priority, ""),
        episode.get_priority_display(),
    )


@register.simple_tag
def status_tag(episode):
    return format_html(
        '<strong class="nhsuk-tag {}">{}</strong>', _STATUS_TAGS.get(episode.status, ""), episode.get_status_display()
    )
