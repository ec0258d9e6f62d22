import datetime

from django import forms
from django.utils import timezone

from benefits import reports
from benefits.models import Period
from caseload import selectors as caseload_selectors

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(choices=Period.choices, required=False, label="Period")
    start = forms.DateField(required=False, label="From", widget=DATE)
    end = forms.DateField(required=False, label="To", widget=DATE)
    lit = forms.ModelChoiceField(
        queryset=caseload_selectors.teams(), required=False, empty_label="All of OCIT", label="LIT"
    )

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
