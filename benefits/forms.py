import datetime

from django import forms
from django.utils import timezone

from benefits import reports
from benefits.models import Period
from caseload.forms import LitChoiceField
from ocit.bounds import PlausibleInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DashboardFilterForm(PlausibleInput, forms.Form):
    period = forms.ChoiceField(choices=Period.choices, required=False, label="Period")
    start = forms.DateField(required=False, label="From", widget=DATE)
    end = forms.DateField(required=False, label="To", widget=DATE)
    lit = LitChoiceField(required=False, empty_label="All of OCIT", label="LIT")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date must be on or after the start date")
        if end and end > timezone.localdate() + datetime.timedelta(days=366):
            self.add_error("end", "The end date must be within the next year")
        return data

    def filters(self):
        """The chosen filters, with defaults for anything left blank (or invalid)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        defaults = reports.default_filters(period=data.get("period") or Period.MONTH)
        return reports.Filters(
            period=defaults.period,
            start=data.get("start") or defaults.start,
            end=data.get("end") or defaults.end,
            team=data.get("lit"),
        )


class FigureForm(PlausibleInput, forms.Form):
    """Which figure a drill-down shows: a metric's period (week or month, by its first day) and LIT."""

    period = forms.ChoiceField(choices=Period.choices)
    start = forms.DateField(label="Period starting")
    lit = LitChoiceField(required=False, empty_label="All of OCIT")

    def clean(self):
        data = super().clean()
        period, start = data.get("period"), data.get("start")
        if period == Period.WEEK and start and start.weekday() != 0:
            self.add_error("start", "A week starts on a Monday")
        if period == Period.MONTH and start and start.day != 1:
            self.add_error("start", "A month starts on its first day")
        if start and start > timezone.localdate():
            self.add_error("start", "The period cannot start in the future")
        return data
