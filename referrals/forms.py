"""Forms for the referral screens and the discharge. They parse what was typed; the rules (the transition
table, one open referral per stay, not before admission) live in referrals/services.py and discharge/services.py
and come back beside the fields they name."""

from django import forms

from caseload.forms import NHSForm
from caseload.models import Priority, Service
from discharge.forms import now_to_the_minute
from discharge.models import Destination, Pathway
from ocit.widgets import DateTimeInputField


class RaiseForm(NHSForm):
    """A ward referral: the patient comes from the record, so only what the record cannot know is asked."""

    reason = forms.CharField(
        label="Why does the patient need OCIT?",
        help_text="For example: lives alone, needs help to wash and dress since the fall.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the patient needs OCIT"},
    )
    what_matters = forms.CharField(
        label="What matters to the patient (optional)",
        required=False,
        help_text="In their own words, for example: to get back to my allotment.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    requested_service = forms.ChoiceField(
        label="Service requested",
        choices=Service.choices,
        initial=Service.STEP_DOWN_REABLEMENT,
        error_messages={"required": "Choose the service requested"},
    )
    urgency = forms.ChoiceField(
        label="How soon does the LIT need to decide?",
        choices=Priority.choices,
        initial=Priority.ROUTINE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the urgency"},
    )
    referrer_name = forms.CharField(
        label="Your name",
        max_length=150,
        error_messages={"required": "Enter your name", "max_length": "Use 150 characters or fewer"},
    )
    referrer_role = forms.CharField(
        label="Your role",
        required=False,
        max_length=100,
        error_messages={"max_length": "Use 100 characters or fewer"},
    )
    referrer_contact = forms.CharField(
        label="How the LIT can reach you",
        required=False,
        max_length=150,
        help_text="Phone, bleep or email.",
        error_messages={"max_length": "Use 150 characters or fewer"},
    )

    @staticmethod
    def initial_for(user):
        """The referrer is the person logged in: prefilled, and changeable when raising for a colleague."""
        return {
            "referrer_name": user.full_name,
            "referrer_role": user.get_discipline_display() or user.get_role_display(),
            "referrer_contact": user.email,
        }


class AcceptForm(NHSForm):
    """Nothing to type: one click. A form all the same, so a refusal is shown like any other error."""


class DeclineForm(NHSForm):
    error_aliases = {"decision_reason": "reason"}

    reason = forms.CharField(
        label="Why is the referral declined?",
        max_length=300,
        error_messages={"required": "Give the reason", "max_length": "Use 300 characters or fewer"},
    )
    outcome = forms.CharField(
        label="Where the patient goes instead (optional)",
        required=False,
        max_length=300,
        error_messages={"max_length": "Use 300 characters or fewer"},
    )


class RedirectForm(NHSForm):
    error_aliases = {"redirected_to": "to_where"}

    to_where = forms.CharField(
        label="Redirect to",
        max_length=150,
        help_text="The service that should help instead, for example: district nursing.",
        error_messages={
            "required": "Say where the patient was redirected to",
            "max_length": "Use 150 characters or fewer",
        },
    )


class WithdrawForm(NHSForm):
    error_aliases = {"decision_reason": "reason"}

    reason = forms.CharField(
        label="Why is the referral withdrawn?",
        max_length=300,
        help_text="For example: the patient died, or was discharged elsewhere.",
        error_messages={"required": "Give the reason", "max_length": "Use 300 characters or fewer"},
    )


class CompleteForm(NHSForm):
    outcome = forms.CharField(
        label="Outcome (optional)",
        required=False,
        max_length=300,
        error_messages={"max_length": "Use 300 characters or fewer"},
    )


DECISION_FORMS = {
    "accept": AcceptForm,
    "decline": DeclineForm,
    "redirect": RedirectForm,
    "withdraw": WithdrawForm,
    "complete": CompleteForm,
}


def decision_prefix(action, referral):
    """Every decision form for a referral has its own prefix, so ids stay unique on a list of many."""
    return f"{action}-{referral.pk}"


class DischargeForm(NHSForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    discharged_at = DateTimeInputField(
        label="Discharged at",
        subject="The date and time the patient left hospital",
        initial=now_to_the_minute,
        error_messages={"required": "Enter when the patient left hospital"},
    )
    destination = forms.ChoiceField(
        label="Where did the patient go?",
        choices=Destination.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the patient went"},
    )
    pathway = forms.TypedChoiceField(
        label="Discharge pathway",
        choices=[*Pathway.choices, ("", "No pathway: died in hospital, or transferred to another hospital")],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="Pathways 1 and 2 step the patient down onto the caseload of their LIT; the response clock starts "
        "at discharge.",
    )
