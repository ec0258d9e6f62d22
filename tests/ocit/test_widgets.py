"""The NHS.UK date input (ocit/widgets.py): a date typed into day, month and year boxes (and hour and minute for a
time), each wrong box named in the message and marked in the page, and no browser date picker on any form."""

import datetime
import inspect

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test.html import parse_html
from django.utils import timezone

from caseload import forms as caseload_forms
from caseload.templatetags.nhsuk_forms import error_summary, nhsuk_field
from discharge import forms as discharge_forms
from ocit.widgets import DateInputField, DateTimeInputField
from referrals import forms as referral_forms


class Visit(forms.Form):
    on = DateInputField(label="Visit date", subject="The visit date", required=False)
    at = DateTimeInputField(label="When", subject="The time of the visit", required=False)


def errors_of(data, prefix=None):
    form = Visit(data, prefix=prefix, auto_id="%s")  # ids as NHSForm makes them
    form.is_valid()
    return form


def test_a_date_is_read_from_its_three_boxes():
    form = errors_of({"on_day": "7", "on_month": "03", "on_year": "2026"})
    assert form.cleaned_data["on"] == datetime.date(2026, 3, 7)


def test_a_time_is_read_from_five_boxes_in_the_current_time_zone():
    form = errors_of({"at_day": "1", "at_month": "7", "at_year": "2026", "at_hour": "9", "at_minute": "05"})
    assert form.cleaned_data["at"] == datetime.datetime(2026, 7, 1, 8, 5, tzinfo=datetime.UTC)  # BST


def test_the_boxes_carry_the_forms_prefix():
    form = errors_of({"contact-9-on_day": "7", "contact-9-on_month": "3", "contact-9-on_year": "2026"}, "contact-9")
    assert form.cleaned_data["on"] == datetime.date(2026, 3, 7)


def test_a_month_may_be_typed_as_a_name():
    assert errors_of({"on_day": "7", "on_month": "Sept", "on_year": "2026"}).cleaned_data["on"].month == 9


def test_one_value_for_the_whole_date_is_still_read():
    form = errors_of({"on": "2026-03-07", "at": "2026-11-26T10:00"})
    assert form.cleaned_data["on"] == datetime.date(2026, 3, 7)
    assert timezone.localtime(form.cleaned_data["at"]).hour == 10


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"on_day": "7", "on_year": "2026"}, "The visit date must include a month"),
        ({"on_month": "3"}, "The visit date must include a day and a year"),
        (
            {"on_day": "7", "on_month": "13", "on_year": "2026"},
            "The visit date: the month must be a number from 1 to 12",
        ),
        ({"on_day": "x", "on_month": "3", "on_year": "2026"}, "the day must be a number from 1 to 31"),
        ({"on_day": "7", "on_month": "3", "on_year": "26"}, "the year must have 4 numbers, like 2026"),
        ({"on_day": "29", "on_month": "2", "on_year": "2026"}, "must be a real date: February 2026 has 28 days"),
    ],
)
def test_a_wrong_date_says_what_is_wrong_with_it(data, message):
    assert message in errors_of(data).errors["on"][0]


def test_a_wrong_time_says_which_box():
    data = {"at_day": "1", "at_month": "7", "at_year": "2026", "at_hour": "24", "at_minute": "60"}
    assert errors_of(data).errors["at"] == [
        "The time of the visit: the hour must be a number from 0 to 23, and the minute must be a number from 0 to 59"
    ]


def test_every_empty_box_is_named():
    data = {"at_day": "1", "at_month": "7"}
    assert errors_of(data).errors["at"] == ["The time of the visit must include a year, an hour and a minute"]


def test_a_time_the_clocks_skip_is_refused():
    data = {"at_day": "29", "at_month": "3", "at_year": "2026", "at_hour": "1", "at_minute": "30"}
    assert "happens twice, or not at all, when the clocks" in errors_of(data).errors["at"][0]


def test_only_the_boxes_at_fault_are_marked():
    form = errors_of({"on_day": "7", "on_month": "13", "on_year": "2026"})
    html = str(form["on"])
    assert html.count("nhsuk-input--error") == 1
    assert 'id="on-month"' in html.split("nhsuk-input--error", 1)[1].split(">", 1)[0]


def test_a_refused_real_date_marks_every_box():
    form = errors_of({"on_day": "7", "on_month": "3", "on_year": "2026"})
    form.add_error("on", "The visit cannot be in the future")
    assert str(form["on"]).count("nhsuk-input--error") == 3


def test_the_field_is_a_fieldset_with_its_error_above_the_boxes():
    form = errors_of({"on_day": "7", "on_year": "2026"})
    html = render_to_string("includes/field.html", nhsuk_field(form["on"]))
    assert "nhsuk-form-group--error" in html and '<fieldset class="nhsuk-fieldset" role="group"' in html
    assert html.index("nhsuk-error-message") < html.index("nhsuk-date-input")
    assert 'id="on"' in html  # the day box: where the error summary's link goes


FORM_MODULES = [caseload_forms, discharge_forms, referral_forms]


@pytest.mark.parametrize("module", FORM_MODULES, ids=lambda module: module.__name__)
def test_no_form_that_records_a_date_uses_the_browsers_date_picker(module):
    for name, form_class in inspect.getmembers(module, inspect.isclass):
        if not issubclass(form_class, forms.BaseForm) or form_class.__module__ != module.__name__:
            continue
        for field_name, field in form_class.base_fields.items():
            assert not isinstance(field.widget, (forms.DateInput, forms.DateTimeInput)), f"{name}.{field_name}"
            if isinstance(field, (forms.DateField, forms.DateTimeField)):
                pytest.fail(f"{name}.{field_name} is a plain {type(field).__name__}: use ocit.widgets")


class Choices(forms.Form):
    ward = forms.ChoiceField(
        choices=[("", "Any ward"), ("Medicine", [("22", "Ward 22 <AMU>"), ("23", "Ward 23")]), ("ed", "ED")],
        help_text="Where the patient is",
    )
    kinds = forms.MultipleChoiceField(choices=[("a", "A & B"), ("b", "B")], required=False)


@pytest.mark.parametrize(
    "data", [None, {"ward": "22", "kinds": ["a", "b"]}, {"ward": "nowhere"}], ids=["unbound", "chosen", "wrong"]
)
def test_a_select_is_written_as_djangos_widget_would_write_it(data):
    """nhsuk_field writes <select>s itself (no template per option): the same values, labels, groups and choice."""
    form = Choices(data)
    form.is_valid()
    for name in ("ward", "kinds"):
        field = form[name]
        ours = nhsuk_field(field)["widget"]
        attrs = {"class": "nhsuk-select" + (" nhsuk-select--error" if field.errors else ""), "id": field.auto_id}
        parts = (f"{field.auto_id}-hint" if field.help_text else "", f"{field.auto_id}-error" if field.errors else "")
        described = " ".join(part for part in parts if part)
        if described:
            attrs["aria-describedby"] = described
        assert parse_html(ours) == parse_html(field.as_widget(attrs=attrs))
        assert "<optgroup" in ours or name == "kinds"


@pytest.mark.parametrize(
    "data, box",
    [
        ({"on_day": "7", "on_month": "13", "on_year": "2026"}, "on-month"),
        ({"on_day": "7", "on_month": "3"}, "on-year"),
        ({"on_day": "x", "on_month": "13", "on_year": "2026"}, "on"),
        ({"on_day": "30", "on_month": "2", "on_year": "2026"}, "on"),
        ({"at_day": "1", "at_month": "7", "at_year": "2026", "at_hour": "24", "at_minute": "0"}, "at-hour"),
    ],
)
def test_the_error_summary_links_to_the_first_box_at_fault(data, box):
    html = render_to_string("includes/error_summary.html", error_summary(errors_of(data)))
    assert f'<a href="#{box}">' in html


def test_the_error_summary_links_to_the_first_box_of_a_refused_real_date():
    form = errors_of({"on_day": "7", "on_month": "3", "on_year": "2026"})
    form.add_error("on", "The visit cannot be in the future")
    assert '<a href="#on">' in render_to_string("includes/error_summary.html", error_summary(form))
