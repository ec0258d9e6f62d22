"""Render Django form fields with the NHS.UK frontend's markup (labels, hints, error messages, error summary).

`{% nhsuk_field form.sequel legend_class="nhsuk-fieldset__legend--m" %}` picks the component from the widget:
input, select, textarea, radios, a single checkbox, or the three-box date input.
"""

from django import forms, template
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from ocit.widgets import Boxes

register = template.Library()

_BASE_CLASS = {"input": "nhsuk-input", "select": "nhsuk-select", "textarea": "nhsuk-textarea"}


def _kind(widget):
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    if isinstance(widget, Boxes):
        return "boxes"  # the day, month and year boxes (and hour and minute): the widget writes them
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


@register.inclusion_tag("includes/field.html")
def nhsuk_field(
    field,
    hint=None,
    label_class="",
    legend_class="",
    label_hidden=False,
    inline=False,
    small=False,
    group_class="",
):
    """One form field in NHS.UK markup."""
    kind = _kind(field.field.widget)
    field_id = field.auto_id
    hint = field.help_text if hint is None else hint
    hint_id = f"{field_id}-hint" if hint else ""
    error_id = f"{field_id}-error" if field.errors else ""
    described_by = " ".join(part for part in (hint_id, error_id) if part)
    context = {
        "field": field,
        "kind": kind,
        "id": field_id,
        "hint": hint,
        "hint_id": hint_id,
        "error_id": error_id,
        "described_by": described_by,
        "label_class": label_class,
        "legend_class": legend_class,
        "label_hidden": label_hidden,
        "inline": inline,
        "small": small,
        "group_class": group_class,
    }
    if kind in _BASE_CLASS:
        classes = [_BASE_CLASS[kind], field.field.widget.attrs.get("class", "")]
        if field.errors:
            classes.append(f"{_BASE_CLASS[kind]}--error")
        attrs = {"class": " ".join(c for c in classes if c), "id": field_id}
        if described_by:
            attrs["aria-describedby"] = described_by
        context["widget"] = _select(field, attrs) if kind == "select" else field.as_widget(attrs=attrs)
    elif kind == "radios":
        value = field.value()
        value = "" if value is None else str(value)
        items = []
        for index, option in enumerate(field.field.choices):
            option_value = "" if option[0] is None else str(option[0])
            item_id = field_id if index == 0 else f"{field_id}-{index + 1}"
            items.append({"id": item_id, "value": option_value, "label": option[1], "checked": option_value == value})
        context["items"] = items
    elif kind == "checkbox":
        context["checked"] = bool(field.value())
    return context


def _select(field, attrs):
    """The <select> Django's widget would write, written here: Django renders each option through a template, half
    the cost of a list page's filters. From the widget's own context (`get_context`: values, labels, selection,
    groups and attributes), so the same markup."""
    widget = field.field.widget
    attrs = field.build_widget_attrs(attrs, widget)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    groups = []
    for group, options, _ in context["optgroups"]:
        html = format_html_join(
            "", '<option value="{}"{}>{}</option>', ((o["value"], flatatt(o["attrs"]), o["label"]) for o in options)
        )
        groups.append(format_html('<optgroup label="{}">{}</optgroup>', group, html) if group else html)
    return format_html(
        '<select name="{}"{}>{}</select>',
        context["name"],
        flatatt(context["attrs"]),
        format_html_join("", "{}", ((group,) for group in groups)),
    )


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms_to_check):
    """The NHS error summary for one or more bound forms: each field's errors link to the field."""
    items = []
    for form in forms_to_check:
        if not form or not form.is_bound or not form.errors:
            continue
        items += [{"href": "", "text": message} for message in form.non_field_errors()]
        for field in form:
            items += [{"href": _error_href(field), "text": message} for message in field.errors]
    return {"items": items}


def _error_href(field):
    """Where an error's link goes: the field, or for a date the first box at fault (the month, when the month is)."""
    if field.is_hidden:
        return ""
    if isinstance(field.field.widget, Boxes):
        return f"#{field.field.widget.id_at_fault(field.auto_id, field.value())}"
    return f"#{field.auto_id}"
