"""Forms for the hospital-side screens. They only parse what was typed; the rules (not before admission, not in
the future, one open period at a time) live in discharge/services.py and come back beside the fields they name.

Every form on the spell page has its own prefix, so ids (the error summary's anchors) stay unique on the page.
"""

from django import forms
from django.utils import timezone

from caseload.forms import NHSForm
from caseload.models import FOLLOW_UP_ANSWERS
from discharge.models import Pathway
from ocit.widgets import DateInputField, DateTimeInputField


def now_to_the_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


def short_pathway(value):
    """'Pathway 1' from a pathway number (the label's part before the colon)."""
    if value is None or value == "":
        return ""
    return Pathway(int(value)).label.split(":")[0]


class WardRoundForm(NHSForm):
    """The expected date of discharge and clinical criteria for discharge, from the consultant ward round."""

    prefix = "ward-round"

    version = forms.IntegerField(widget=forms.HiddenInput)
    expected_discharge_on = DateInputField(
        label="Expected date of discharge (EDD)", subject="The expected date of discharge", required=False
    )
    clinical_criteria = forms.CharField(
        label="Clinical criteria for discharge",
        required=False,
        help_text="What must be true for the patient to go home, so that any competent team member can discharge.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PathwayForm(NHSForm):
    """The discharge pathway the LIT has decided on (it can still change until the discharge)."""

    prefix = "pathway"

    version = forms.IntegerField(widget=forms.HiddenInput)
    pathway = forms.TypedChoiceField(
        label="Discharge pathway",
        choices=Pathway.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the discharge pathway"},
    )


class FollowUpForm(NHSForm):
    """Where the person was 91 days after a discharge into reablement or rehabilitation."""

    prefix = "follow-up"

    version = forms.IntegerField(widget=forms.HiddenInput)
    follow_up_91 = forms.ChoiceField(
        label="Where was the person 91 days after discharge?",
        choices=FOLLOW_UP_ANSWERS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the person was 91 days after discharge"},
    )


class NctrStartForm(NHSForm):
    prefix = "nctr"

    started_on = DateInputField(
        label="Discharge ready date",
        subject="The discharge ready date",
        help_text="The day the patient stopped meeting the criteria to reside (medically optimised for discharge).",
        initial=timezone.localdate,
        error_messages={"required": "Enter the discharge ready date"},
    )


class NctrEndForm(NHSForm):
    prefix = "nctr-end"

    ended_on = DateInputField(
        label="Meets the criteria to reside again from",
        subject="The date the patient met the criteria to reside again",
        initial=timezone.localdate,
        error_messages={"required": "Enter the date the patient met the criteria to reside again"},
    )


class DelayForm(NHSForm):
    prefix = "delay"

    reason = forms.ModelChoiceField(
        label="Reason for the delay",
        queryset=None,
        empty_label="Choose a reason",
        error_messages={
            "required": "Choose the reason for the delay",
            "invalid_choice": "Choose a reason from the list",
        },
    )
    started_on = DateInputField(
        label="Reason applies from",
        subject="The date the reason applies from",
        required=False,
        help_text="Leave blank for today.",
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=300,
        error_messages={"max_length": "The note must be 300 characters or fewer"},
    )

    def __init__(self, *args, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = reasons


class TransferForm(NHSForm):
    prefix = "transfer"

    ward = forms.ModelChoiceField(
        label="Move to ward",
        queryset=None,
        empty_label="Choose a ward",
        error_messages={"required": "Choose the ward", "invalid_choice": "Choose a ward from the list"},
    )
    at = DateTimeInputField(
        label="When",
        subject="The date and time of the move",
        initial=now_to_the_minute,
        error_messages={"required": "Enter when the patient moved"},
    )

    def __init__(self, *args, wards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ward"].queryset = wards
