"""Dates and times as people type them, the NHS.UK way: a date in three boxes (day, month, year), a date and time in
five (day, month, year, hour, minute), in one fieldset, with one error message above the boxes and the boxes at fault
marked. Not the browser's own date picker, which shows dates the way the browser's locale does (mm/dd/yyyy in an
en-US browser) and is hard to use with a screen reader or on a small screen.

`DateInputField` cleans to a `datetime.date`, `DateTimeInputField` to an aware `datetime` in the current time zone.
Each box is posted as `<name>_day`, `<name>_month`, `<name>_year` (and `<name>_hour`, `<name>_minute`), so a form's
prefix carries through (`contact-12-at_day`). `{% nhsuk_field %}` puts the widget in its fieldset
(templates/includes/field.html); the boxes are templates/includes/date_input.html.

Only what was typed is checked here, each box with a message that says what is wrong with it; whether the date may
be in the future, or before an admission, is the services' and `ocit.bounds`' to say, as before.
"""

import calendar
import datetime
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import from_current_timezone
from django.template import loader
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import lazy
from django.utils.text import format_lazy


@dataclass(frozen=True)
class Part:
    name: str
    width: int  # the box's width class: nhsuk-input--width-<width>
    low: int
    high: int

    @property
    def label(self):
        return self.name.capitalize()

    @property
    def with_article(self):
        return "an hour" if self is HOUR else f"a {self.name}"


DAY = Part("day", 2, 1, 31)
MONTH = Part("month", 2, 1, 12)
YEAR = Part("year", 4, 1, 9999)
HOUR = Part("hour", 2, 0, 23)
MINUTE = Part("minute", 2, 0, 59)
DATE_PARTS = (DAY, MONTH, YEAR)
DATE_TIME_PARTS = (DAY, MONTH, YEAR, HOUR, MINUTE)

# People type "Mar" or "march" as readily as "3": the month box takes either.
_MONTH_NAMES = {name.lower(): number for number, name in enumerate(calendar.month_name) if name} | {
    name.lower(): number for number, name in enumerate(calendar.month_abbr) if name
}
_MONTH_NAMES["sept"] = 9


@dataclass(frozen=True)
class Problem:
    message: str
    code: str
    parts: frozenset  # the names of the boxes at fault


def _number(part, text):
    if part is MONTH and text.lower() in _MONTH_NAMES:
        return _MONTH_NAMES[text.lower()]
    if not text.isascii() or not text.isdigit():
        return None
    if part is YEAR and len(text) != 4:
        return None
    number = int(text)
    return number if part.low <= number <= part.high else None


def _why(part):
    if part is YEAR:
        return "the year must have 4 numbers, like 2026"
    return f"the {part.name} must be a number from {part.low} to {part.high}"


def read(parts, values, subject):
    """The numbers typed into `parts` (`values` as posted), or the Problem with them.

    Empty boxes are reported first (all of them), then boxes that hold no usable number, then a day the month does
    not have. Everything empty is not a problem here: the field says whether it is required.
    """
    values = [str(value or "").strip() for value in values]
    missing = [part for part, value in zip(parts, values, strict=True) if not value]
    if missing and len(missing) < len(parts):
        wanted = [part.with_article for part in missing]
        wanted = wanted[0] if len(wanted) == 1 else f"{', '.join(wanted[:-1])} and {wanted[-1]}"
        return Problem(f"{subject} must include {wanted}", "incomplete", frozenset(p.name for p in missing))
    if missing:
        return None
    numbers = {part.name: _number(part, value) for part, value in zip(parts, values, strict=True)}
    wrong = [part for part in parts if numbers[part.name] is None]
    if wrong:
        reasons = ", and ".join(_why(part) for part in wrong)
        return Problem(f"{subject}: {reasons}", "invalid", frozenset(p.name for p in wrong))
    year, month, day = numbers["year"], numbers["month"], numbers["day"]
    days = calendar.monthrange(year, month)[1]
    if day > days:
        month_name = calendar.month_name[month]
        return Problem(
            f"{subject} must be a real date: {month_name} {year} has {days} days", "invalid", frozenset({"day"})
        )
    return numbers


def _example(time, example=None):
    today = timezone.localdate()
    text = f"For example, {example or f'{today.day} {today.month} {today.year}'}"
    return f"{text}, at 14 30 (24-hour clock)." if time else f"{text}."


example_hint = lazy(_example, str)


class Boxes(forms.MultiWidget):
    """A box for each of `parts`, in NHS.UK markup."""

    template_name = "includes/date_input.html"
    parts = ()

    def __init__(self, attrs=None):
        super().__init__({part.name: forms.TextInput() for part in self.parts}, attrs)

    def decompress(self, value):
        if isinstance(value, str):
            value = self._parse(value)
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        if isinstance(value, datetime.datetime):
            numbers = [value.day, value.month, value.year, f"{value.hour:02d}", f"{value.minute:02d}"]
        elif isinstance(value, datetime.date):
            numbers = [value.day, value.month, value.year, "", ""]
        else:
            numbers = ["", "", "", "", ""]
        return [str(number) for number in numbers[: len(self.parts)]]

    def _parse(self, text):
        try:
            return parse_datetime(text) or parse_date(text)
        except ValueError:
            return None

    def value_from_datadict(self, data, files, name):
        names = [f"{name}_{part.name}" for part in self.parts]
        if not any(box in data for box in names) and data.get(name):
            # One value for the whole date ("2026-11-26", "2026-11-26T10:00"), as a client other than these forms
            # may send it: read into the boxes; something unreadable is kept in the first, so it is reported.
            text = data.get(name)
            parsed = self._parse(text)
            return self.decompress(parsed) if parsed else [text] + [""] * (len(self.parts) - 1)
        return [data.get(box) for box in names]

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        values = self._texts(value)
        final = context["widget"]["attrs"]
        # BoundField marks a field with errors aria-invalid. Mark the boxes at fault; if no box is at fault on its
        # own (the date is real but refused: in the future, before the admission), the whole date is.
        at_fault = set()
        if final.get("aria-invalid") == "true":
            problem = read(self.parts, values, "")
            at_fault = set(problem.parts) if isinstance(problem, Problem) else set()
            at_fault = at_fault or {part.name for part in self.parts}
        first_id = final.get("id", name)
        items = [
            {
                "name": f"{name}_{part.name}",
                "id": self.box_id(first_id, part),
                "label": part.label,
                "value": box,
                "width": part.width,
                "error": part.name in at_fault,
            }
            for index, (part, box) in enumerate(zip(self.parts, values, strict=True))
        ]
        context["widget"]["date_items"] = items[:3]
        context["widget"]["time_items"] = items[3:]
        return context

    def _texts(self, value):
        """What each box holds, as text: the boxes as posted, or a date or moment taken apart."""
        values = value if isinstance(value, (list, tuple)) else self.decompress(value)
        return ["" if box is None else str(box) for box in values]

    def box_id(self, field_id, part):
        """The first box has the field's id (where a label or link to the field goes); the others add their name."""
        return field_id if part is self.parts[0] else f"{field_id}-{part.name}"

    def id_at_fault(self, field_id, value):
        """The id of the first box at fault, for the error summary's link; the first box's when the date as a whole
        is (real, but refused)."""
        problem = read(self.parts, self._texts(value), "")
        at_fault = problem.parts if isinstance(problem, Problem) else ()
        return next((self.box_id(field_id, part) for part in self.parts if part.name in at_fault), field_id)

    def _render(self, template_name, context, renderer=None):
        # With the rest of the NHS.UK markup in the project's templates, which Django's form renderer does not search
        # (a rendered template is already safe HTML).
        return loader.render_to_string(template_name, context)


class DateInputs(Boxes):
    """Day, month and year boxes: the NHS.UK date input."""

    parts = DATE_PARTS


# Not a kind of DateInputs: {% nhsuk_field %} takes a DateInputs for three boxes exactly.
class DateTimeInputs(Boxes):
    """Day, month and year boxes, then hour and minute boxes (24-hour clock), in one fieldset."""

    parts = DATE_TIME_PARTS


class DateInputField(forms.MultiValueField):
    """A date typed into day, month and year boxes.

    `subject` names the date in messages ("The date of birth must include a month"); it defaults to the label.
    `example` is the hint's example ("14 3 1942"; today by default; False for none), after any `help_text`.
    """

    widget = DateInputs
    parts = DATE_PARTS

    def __init__(self, *, subject=None, example=None, required=True, **kwargs):
        self.subject = subject or kwargs.get("label") or "The date"
        if example is not False:
            hint = example_hint(len(self.parts) > 3, example)
            help_text = kwargs.get("help_text")
            kwargs["help_text"] = format_lazy("{} {}", help_text, hint) if help_text else hint
        boxes = tuple(forms.CharField(required=False) for _ in self.parts)
        super().__init__(fields=boxes, require_all_fields=False, required=required, **kwargs)
        if "required" not in (kwargs.get("error_messages") or {}):
            self.error_messages["required"] = f"Enter {self.subject[0].lower()}{self.subject[1:]}"

    def clean(self, value):
        values = list(value or [])
        values += [""] * (len(self.parts) - len(values))
        if not any(str(box or "").strip() for box in values):
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        numbers = read(self.parts, values[: len(self.parts)], self.subject)
        if isinstance(numbers, Problem):
            raise ValidationError(numbers.message, code=numbers.code)
        result = self.build(numbers)
        self.run_validators(result)
        return result

    def build(self, numbers):
        return datetime.date(numbers["year"], numbers["month"], numbers["day"])

    def compress(self, data_list):  # clean() does the work
        return data_list


class DateTimeInputField(DateInputField):
    """A date and time typed into day, month, year, hour and minute boxes, in the current time zone."""

    widget = DateTimeInputs
    parts = DATE_TIME_PARTS

    def build(self, numbers):
        moment = datetime.datetime(*(numbers[part.name] for part in (YEAR, MONTH, DAY, HOUR, MINUTE)))
        try:
            return from_current_timezone(moment)
        except ValidationError:
            raise ValidationError(
                f"{self.subject}: {moment:%H:%M} on {moment:%-d %B %Y} happens twice, or not at all, when the clocks "
                "change. Enter a time outside that hour",
                code="ambiguous",
            ) from None
