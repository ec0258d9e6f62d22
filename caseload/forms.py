"""Forms for the caseload screens. They only parse what was typed; the rules live in caseload/services.py,
whose ValidationErrors come back next to the fields they name (`add_service_errors`)."""

import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from caseload import selectors
from caseload.models import (
    AllocationRole,
    ContactLocation,
    GoalStatus,
    PackageStage,
    Priority,
    ProviderType,
    Sequel,
    Service,
    Sex,
    Source,
    Team,
)
from ocit.bounds import PlausibleInput
from ocit.identifiers import normalise_nhs_number, normalise_postcode
from ocit.models import Discipline
from ocit.widgets import DateInputField, DateTimeInputField

YES_NO = (("yes", "Yes"), ("no", "No"))


def _yes_no(value):
    return {"yes": True, "no": False}.get(value)


def _number_widget(width=3, decimal=False):
    return forms.TextInput(
        attrs={"inputmode": "decimal" if decimal else "numeric", "class": f"nhsuk-input--width-{width}"}
    )


def _now():
    return timezone.localtime().replace(second=0, microsecond=0)


class _LitChoices(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for team in selectors.active_teams():
            yield self.choice(team)

    def __len__(self):
        return len(selectors.active_teams()) + (self.field.empty_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(selectors.active_teams())


class LitChoiceField(forms.ModelChoiceField):
    """A choice of one active LIT, checked and listed from the LITs each process keeps (`selectors.active_teams`)
    rather than by a query, as the lists' filters choose one on every request."""

    iterator = _LitChoices

    def __init__(self, **kwargs):
        kwargs.pop("queryset", None)  # always the active LITs (a filter passes its own)
        super().__init__(queryset=selectors.teams(), **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = self.to_field_name or "pk"
        if isinstance(value, Team):
            value = getattr(value, key)
        for team in selectors.active_teams():
            if str(getattr(team, key)) == str(value):
                return team
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})


class NHSForm(PlausibleInput, forms.Form):
    """Ids without Django's `id_` prefix (they are the error summary's anchors) and no browser validation:
    errors are shown the NHS way, by the server."""

    use_required_attribute = False
    # Where a service's error key has no field of the same name on the form.
    error_aliases = {}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_errors(self, error):
        """Put a service's ValidationError next to the fields it names; anything else goes to the top."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for key, messages in error.message_dict.items():
            field = self.error_aliases.get(key, key)
            if field not in self.fields or field == NON_FIELD_ERRORS:
                field = None
            for message in messages:
                self.add_error(field, message)

    def show_current_version(self, version):
        """After a stale-version conflict: carry the current version, so the next submit is checked against it."""
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = str(version)


# Allocation ------------------------------------------------------------------------------------------


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user.full_name} ({user.get_discipline_display()})" if user.discipline else user.full_name


class AllocateForm(NHSForm):
    """The triage board's inline allocation: the keyworker, from the LIT's active staff only."""

    practitioner = StaffChoiceField(
        queryset=None,
        label="Allocate to",
        empty_label="Choose a practitioner",
        error_messages={
            "required": "Choose who to allocate the episode to",
            "invalid_choice": "Choose someone from the list: active staff of the episode's LIT",
        },
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = staff


class ReallocateForm(AllocateForm):
    """The episode page: a new keyworker, or someone else working with the person. Carries the version."""

    role = forms.ChoiceField(
        label="Their role",
        choices=[
            (AllocationRole.KEYWORKER, "Keyworker (replaces the current keyworker)"),
            (AllocationRole.PRACTITIONER, "Also working with the person"),
        ],
        initial=AllocationRole.KEYWORKER,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose their role"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


# Contacts, goals, packages, equipment ----------------------------------------------------------------


def contact_prefix(episode):
    """Every contact form for an episode has the same prefix, so ids stay unique on a page of several."""
    return f"contact-{episode.pk}"


class ContactForm(NHSForm):
    at = DateTimeInputField(
        label="When",
        subject="The date and time of the contact",
        initial=_now,
        error_messages={"required": "Enter when the contact happened"},
    )
    duration_minutes = forms.IntegerField(
        label="Duration in minutes",
        min_value=0,
        max_value=24 * 60,
        widget=_number_widget(),
        error_messages={
            "required": "Enter how long the contact took, in minutes",
            "invalid": "Enter the duration as a whole number of minutes",
            "min_value": "The duration cannot be negative",
            "max_value": "The duration must be 1,440 minutes (24 hours) or less",
        },
    )
    location = forms.ChoiceField(
        label="Where",
        choices=ContactLocation.choices,
        initial=ContactLocation.HOME,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the contact was"},
    )
    attended = forms.TypedChoiceField(
        label="Did the contact happen?",
        choices=(("yes", "Yes, attended"), ("no", "No, not attended")),
        coerce=_yes_no,
        initial="yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the contact happened"},
    )
    # Always shown rather than revealed by the radios: the NHS.UK conditional reveal puts aria-expanded on a
    # radio button, which assistive technology does not support (axe reports it as critical).
    not_attended_reason = forms.CharField(
        label="If it did not happen, why not?",
        required=False,
        max_length=200,
        help_text="For example: no answer at the door, or in hospital.",
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    next_contact_on = DateInputField(
        label="Next planned contact",
        subject="The next planned contact",
        required=False,
        help_text="Leave blank if the next contact is not planned yet.",
    )


class GoalForm(NHSForm):
    text = forms.CharField(
        label="What matters to the person",
        max_length=300,
        help_text="In their own words, for example: make my own breakfast.",
        error_messages={"required": "Enter the goal", "max_length": "The goal must be 300 characters or fewer"},
    )
    target_date = DateInputField(label="Target date", subject="The target date", required=False)


def _package_fields(required):
    return {
        "effective_on": DateInputField(
            label="From",
            subject="The date the package started",
            required=False,
            initial=timezone.localdate,
        ),
        "hours_per_week": forms.DecimalField(
            label="Hours of care a week",
            required=required,
            min_value=0,
            max_digits=5,
            decimal_places=2,
            widget=_number_widget(decimal=True),
            error_messages={
                "required": "Enter the hours of care a week (0 if none)",
                "invalid": "Enter the hours a week as a number, like 7.5",
                "min_value": "The hours a week cannot be negative",
            },
        ),
        "calls_per_day": forms.IntegerField(
            label="Calls a day",
            required=required,
            min_value=0,
            max_value=12,
            widget=_number_widget(2),
            error_messages={
                "required": "Enter the calls a day (0 if none)",
                "invalid": "Enter the calls a day as a whole number",
                "min_value": "The calls a day cannot be negative",
                "max_value": "Enter 12 calls a day or fewer",
            },
        ),
        "carers_per_call": forms.IntegerField(
            label="Carers a call",
            required=required,
            min_value=0,
            max_value=4,
            widget=_number_widget(2),
            error_messages={
                "required": "Enter the carers a call (0 if none)",
                "invalid": "Enter the carers a call as a whole number",
                "min_value": "The carers a call cannot be negative",
                "max_value": "Enter 4 carers a call or fewer",
            },
        ),
        "provider_type": forms.ChoiceField(
            label="Provided by",
            required=required,
            choices=[("", "Choose a provider"), *ProviderType.choices],
            error_messages={"required": "Choose who provides the care"},
        ),
    }


PACKAGE_FIELDS = ("effective_on", "hours_per_week", "calls_per_day", "carers_per_call", "provider_type")


class PackageForm(NHSForm):
    stage = forms.ChoiceField(
        label="Which package is this?",
        choices=PackageStage.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether this is the package at the start, a change, or at the end"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_package_fields(required=True))
        self.fields["effective_on"].required = True
        self.fields["effective_on"].error_messages["required"] = "Enter the date the package started"


class EquipmentForm(NHSForm):
    item = forms.CharField(
        label="Item",
        max_length=120,
        error_messages={"required": "Enter the item provided", "max_length": "Use 120 characters or fewer"},
    )
    provided_on = DateInputField(
        label="Provided on",
        subject="The date it was provided",
        initial=timezone.localdate,
        error_messages={"required": "Enter the date it was provided"},
    )


# Closing an episode ----------------------------------------------------------------------------------

GOAL_OUTCOMES = [(value, label) for value, label in GoalStatus.choices if value != GoalStatus.OPEN]


class CloseForm(NHSForm):
    """Sequel, closing care package and every open goal's outcome, in one submit.

    Only the types are checked here: whether the sequel, the package and the goal outcomes are all needed is
    the service's rule, so the service is called and its refusals are shown together, beside each field.
    """

    error_aliases = {"closing_package": "hours_per_week"}

    version = forms.IntegerField(widget=forms.HiddenInput)
    sequel = forms.ChoiceField(
        label="What happened next for the person?",
        help_text="The sequel: the support they have now the episode has ended.",
        choices=Sequel.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    closure_reason = forms.CharField(
        label="Reason for closing (optional)",
        required=False,
        max_length=200,
        error_messages={"max_length": "The reason must be 200 characters or fewer"},
    )

    def __init__(self, *args, goals, needs_package, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_package = needs_package
        if needs_package:
            self.fields.update(_package_fields(required=False))
        self.goals = list(goals)
        for goal in self.goals:
            self.fields[f"goal_{goal.pk}"] = forms.ChoiceField(
                label=goal.text, required=False, choices=[("", "Choose an outcome"), *GOAL_OUTCOMES]
            )

    def package_fields(self):
        return [self[name] for name in PACKAGE_FIELDS if name in self.fields]

    def goal_fields(self):
        return [self[f"goal_{goal.pk}"] for goal in self.goals]

    def clean(self):
        cleaned = super().clean()
        if self.needs_package:
            given = [name for name in PACKAGE_FIELDS[1:] if cleaned.get(name) not in (None, "")]
            if given:
                for name in PACKAGE_FIELDS[1:]:
                    if name not in given and name not in self.errors:
                        self.add_error(name, self.fields[name].error_messages["required"])
        return cleaned

    def add_service_errors(self, error):
        """The service lists goals without an outcome: put each beside its own goal's field."""
        missing = []
        if hasattr(error, "error_dict") and "goal_outcomes" in error.error_dict:
            missing = [goal for goal in self.goals if not self.cleaned_data.get(f"goal_{goal.pk}")]
            for goal in missing:
                self.add_error(f"goal_{goal.pk}", f"Choose the outcome of the goal ‘{goal.text}’")
        if missing:
            error = ValidationError({k: v for k, v in error.message_dict.items() if k != "goal_outcomes"})
            if not error.error_dict:
                return
        super().add_service_errors(error)

    def closing_package(self):
        if not self.needs_package or self.cleaned_data.get("hours_per_week") is None:
            return None
        return {name: self.cleaned_data[name] for name in PACKAGE_FIELDS}

    def goal_outcomes(self):
        return {
            goal.pk: self.cleaned_data[f"goal_{goal.pk}"]
            for goal in self.goals
            if self.cleaned_data.get(f"goal_{goal.pk}")
        }


# Patients and episodes -------------------------------------------------------------------------------

_LOOKS_LIKE_A_NUMBER = re.compile(r"^[\d\s-]+$")


class SearchForm(NHSForm):
    q = forms.CharField(
        label="NHS number or name",
        help_text="An NHS number with or without spaces, or a name: a misspelling is fine.",
        required=False,
        max_length=100,
    )
    date_of_birth = DateInputField(
        label="Date of birth (optional)", subject="The date of birth", required=False, example="14 3 1942"
    )

    def clean_q(self):
        query = self.cleaned_data["q"].strip()
        if query and _LOOKS_LIKE_A_NUMBER.match(query):
            normalise_nhs_number(query)
        return query

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("q") and not cleaned.get("date_of_birth"):
            self.add_error("q", "Enter an NHS number or a name")
        return cleaned


class PatientForm(NHSForm):
    # The record-level rule "give the NHS number, or say why it is not known" belongs beside the NHS number.
    error_aliases = {NON_FIELD_ERRORS: "nhs_number"}

    nhs_number = forms.CharField(
        label="NHS number",
        required=False,
        max_length=14,
        help_text="10 digits, spaces allowed. For example, 999 123 4560.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-10", "spellcheck": "false"}),
    )
    nhs_number_unknown_reason = forms.CharField(
        label="If the NHS number is not known, say why",
        required=False,
        max_length=200,
    )
    given_name = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "Enter the person's first name"}
    )
    family_name = forms.CharField(
        label="Last name", max_length=100, error_messages={"required": "Enter the person's last name"}
    )
    date_of_birth = DateInputField(
        label="Date of birth",
        subject="The date of birth",
        example="14 3 1942",
        error_messages={"required": "Enter the date of birth"},
    )
    sex = forms.ChoiceField(
        label="Sex",
        choices=Sex.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the person's sex, or 'Not known'"},
    )
    address = forms.CharField(label="Address", required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    postcode = forms.CharField(
        label="Postcode",
        max_length=10,
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "autocomplete": "off"}),
        error_messages={"required": "Enter the postcode"},
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "class": "nhsuk-input--width-20"}),
    )
    gp_practice_code = forms.CharField(
        label="GP practice (ODS code)",
        required=False,
        max_length=6,
        help_text="A letter then 5 digits, like M86001.",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "spellcheck": "false"}),
    )
    next_of_kin = forms.CharField(
        label="Next of kin",
        required=False,
        max_length=200,
        help_text="Name, relationship and phone number.",
    )
    access_notes = forms.CharField(
        label="Getting in",
        required=False,
        max_length=300,
        help_text="What a visitor needs at the door: the key safe, door entry, pets.",
    )
    frailty_scale = forms.TypedChoiceField(
        label="Clinical Frailty Scale",
        choices=[("", "Not assessed"), *[(str(score), str(score)) for score in range(1, 10)]],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="1 (very fit) to 9 (terminally ill), as last assessed.",
    )
    lives_alone = forms.TypedChoiceField(
        label="Does the person live alone?",
        choices=(*YES_NO, ("unknown", "Not known")),
        coerce=_yes_no,
        empty_value=None,
        required=False,
        initial="unknown",
        widget=forms.RadioSelect,
    )
    communication_needs = forms.CharField(
        label="Communication needs", required=False, max_length=300, help_text="For example, hard of hearing."
    )
    interpreter_language = forms.CharField(
        label="Interpreter needed for",
        required=False,
        max_length=60,
        help_text="The language. Leave blank when no interpreter is needed.",
    )
    consent_to_share = forms.TypedChoiceField(
        label="Has the person consented to share their information with the OCIT partners?",
        choices=YES_NO,
        coerce=_yes_no,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the person has consented to share their information"},
    )
    team = forms.ModelChoiceField(
        label="LIT",
        queryset=None,
        required=False,
        empty_label="The LIT that serves the postcode",
        help_text="Only choose a LIT to override the one for the postcode.",
    )
    team_override_reason = forms.CharField(
        label="Why a different LIT from the postcode's?", required=False, max_length=200
    )
    not_a_duplicate = forms.BooleanField(label="This is a different person: create a new record", required=False)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean_nhs_number(self):
        value = self.cleaned_data["nhs_number"].strip()
        return normalise_nhs_number(value) if value else ""

    def clean_postcode(self):
        return normalise_postcode(self.cleaned_data["postcode"])

    def patient_values(self):
        values = {name: value for name, value in self.cleaned_data.items() if name != "not_a_duplicate"}
        if values["team"] is None:
            del values["team"]
        return values


class EpisodeForm(NHSForm):
    service = forms.ChoiceField(
        label="Service",
        choices=[("", "Choose a service"), *Service.choices],
        error_messages={"required": "Choose the service"},
    )
    source = forms.ChoiceField(
        label="Referred by",
        choices=[("", "Choose where the referral came from"), *Source.choices],
        error_messages={"required": "Choose where the referral came from"},
    )
    priority = forms.ChoiceField(
        label="Priority",
        choices=Priority.choices,
        initial=Priority.ROUTINE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the priority"},
    )
    received_at = DateTimeInputField(
        label="Referral received",
        subject="The date and time the referral was received",
        initial=_now,
        error_messages={"required": "Enter when the referral was received"},
    )
    team = forms.ModelChoiceField(label="LIT", queryset=None, required=False)
    discipline_needed = forms.ChoiceField(
        label="Discipline needed",
        required=False,
        choices=[("", "Any discipline"), *Discipline.choices],
    )
    reason = forms.CharField(label="Reason for referral", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    what_matters = forms.CharField(
        label="What matters to the person",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In their own words.",
    )

    def __init__(self, *args, teams, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["team"].empty_label = f"The patient's LIT ({patient.team.name})"
