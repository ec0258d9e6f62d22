"""The hospital-side screens: the ward board and the spell page with its small forms.

Each view parses its input, makes one selector or service call, and renders. Ward staff reach only their own
wards' patients (the selectors 404 anything else). Recording the discharge itself is `referrals:discharge`,
because it completes the referral and opens the step-down episode; this app must not import referrals.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from discharge import forms, selectors, services
from ocit import audit
from ocit.errors import Conflict
from ocit.roles import can, requires

BOARD_PAGE_SIZE = 50
# A delay this long or longer stands out on the board (a red tag that says so, not colour alone).
LONG_DELAY_DAYS = 7
# A stay this long or longer is a "long stay" (the national 21-day measure).
LONG_STAY_DAYS = 21
# What the user may sort the board by: (column label, ordering, aria-sort of that ordering).
SORTS = {
    "ready": (
        "Days since discharge ready",
        [F("no_criteria_to_reside").desc(), F("discharge_ready_on").asc(nulls_last=True), "admitted_at", "pk"],
        "descending",
    ),
    "los": ("Length of stay", ["admitted_at", "pk"], "descending"),
    "edd": ("EDD", [F("expected_discharge_on").asc(nulls_last=True), "admitted_at", "pk"], "ascending"),
}
DEFAULT_SORT = "ready"


def discharge_status(spell, today=None):
    """What the board and the spell page derive, never typed in: length of stay, days since the discharge ready
    date (while the patient has no criteria to reside), and whether that delay stands out."""
    today = today or timezone.localdate()
    end = timezone.localdate(spell.discharged_at) if spell.discharged_at else today
    length_of_stay = spell.length_of_stay_days(today)
    delay_days = None
    if spell.discharge_ready_on and (spell.no_criteria_to_reside or spell.discharged_at):
        delay_days = max((end - spell.discharge_ready_on).days, 0)
    if delay_days is None:
        level = ""
    elif delay_days >= LONG_DELAY_DAYS:
        level = "long"
    elif delay_days > 0:
        level = "delayed"
    else:
        level = "ready"
    return {
        "length_of_stay": length_of_stay,
        "long_stay": length_of_stay >= LONG_STAY_DAYS,
        "delay_days": delay_days,
        "delay_level": level,
        "pathway": forms.short_pathway(spell.pathway),
    }


# Ward board -----------------------------------------------------------------------------------------


@requires("wardboard.view")
def ward_board(request):
    """Every patient on the user's wards (ward staff) or on any ward (LIT in-reach), the worst delays first."""
    wards = list(selectors.wards_for(user=request.user))
    ward = selectors.ward_get(user=request.user, pk=request.GET["ward"]) if request.GET.get("ward") else None
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else DEFAULT_SORT
    spells = selectors.open_spells_for(user=request.user, ward=ward, wards=wards).order_by(*SORTS[sort][1])
    page = Paginator(spells, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    audit.log_shown(request, page)
    today = timezone.localdate()
    base = {"ward": ward.pk} if ward else {}
    columns = {
        key: {
            "label": label,
            "href": "?" + urlencode({**base, "sort": key}),
            "aria_sort": direction if key == sort else "",
        }
        for key, (label, _ordering, direction) in SORTS.items()
    }
    return render(
        request,
        "discharge/ward_board.html",
        {
            "wards": wards,
            "ward": ward,
            "sort": sort,
            "sort_label": SORTS[sort][0],
            "columns": columns,
            "page": page,
            "rows": [{"spell": spell, **discharge_status(spell, today)} for spell in page],
            "can_raise": can(request.user, "referral.raise"),
            "long_delay_days": LONG_DELAY_DAYS,
        },
    )


# Spell page -----------------------------------------------------------------------------------------


def _stale(conflict):
    current = conflict.details.get("current")
    return {"message": conflict.message, "current": current} if current else None


def _spell_page(request, spell, conflict=None, **bound_forms):
    """The spell page, with any form that failed shown open with its errors (and the page titled 'Error:')."""
    history = selectors.spell_history(spell=spell)
    can_edit = can(request.user, "spell.edit") and spell.discharged_at is None
    version = {"version": spell.version}
    context = {
        "spell": spell,
        "patient": spell.patient,
        "status": discharge_status(spell),
        "ward_stays": list(history["ward_stays"]),
        "nctr_periods": list(history["nctr_periods"]),
        "delays": list(history["delays"]),
        "can_edit": can_edit,
        "can_raise": can(request.user, "referral.raise") and spell.discharged_at is None,
        "can_decide_pathway": can_edit and can(request.user, "referral.decide"),
        "conflict": conflict,
        "failed": next((name for name, form in bound_forms.items() if form is not None), ""),
        "failed_form": next((form for form in bound_forms.values() if form is not None), None),
    }
    follow_up_due = services.follow_up_due_on(spell)
    context["follow_up_due"] = follow_up_due
    if follow_up_due and can(request.user, "referral.decide"):
        context["can_follow_up"] = follow_up_due <= timezone.localdate()
        context["follow_up_form"] = bound_forms.get("follow_up_form") or forms.FollowUpForm(
            initial={**version, "follow_up_91": spell.follow_up_91}
        )
    if can_edit:
        context.update(
            ward_round_form=bound_forms.get("ward_round_form")
            or forms.WardRoundForm(
                initial={
                    **version,
                    "expected_discharge_on": spell.expected_discharge_on,
                    "clinical_criteria": spell.clinical_criteria,
                }
            ),
            pathway_form=bound_forms.get("pathway_form")
            or forms.PathwayForm(initial={**version, "pathway": spell.pathway}),
            nctr_form=bound_forms.get("nctr_form")
            or (forms.NctrEndForm() if spell.no_criteria_to_reside else forms.NctrStartForm()),
            delay_form=bound_forms.get("delay_form") or forms.DelayForm(reasons=selectors.delay_reasons()),
            transfer_form=bound_forms.get("transfer_form")
            or forms.TransferForm(wards=selectors.wards_for(user=request.user).exclude(pk=spell.ward_id)),
        )
    return render(request, "discharge/spell_detail.html", context)


@requires("wardboard.view")
def spell_detail(request, pk):
    spell = selectors.spell_get(user=request.user, pk=pk)
    audit.log_access(actor=request.user, patient_id=spell.patient_id, obj=spell, via=request.get_full_path())
    return _spell_page(request, spell)


def _spell_form_post(request, pk, form, call, name, anchor, success):
    """A small form on the spell page: on success back to the page, otherwise the page with the errors."""
    spell = selectors.spell_get(user=request.user, pk=pk)
    conflict = None
    if form.is_valid():
        try:
            call(spell, **form.cleaned_data)
        except Conflict as refused:
            conflict = _stale(refused)
            if conflict:
                form.show_current_version(refused.details["version"])
            form.add_error(None, refused.message)
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        else:
            messages.success(request, success.format(name=spell.patient.full_name))
            return redirect(reverse("discharge:spell_detail", args=[spell.pk]) + f"#{anchor}")
    # The page's own figures are read again, so the form is shown beside what is true now.
    spell = selectors.spell_get(user=request.user, pk=pk)
    return _spell_page(request, spell, conflict=conflict, **{name: form})


@require_POST
@requires("spell.edit")
def spell_ward_round(request, pk):
    def call(spell, *, version, expected_discharge_on, clinical_criteria):
        services.spell_update(
            actor=request.user,
            spell=spell,
            version=version,
            expected_discharge_on=expected_discharge_on,
            clinical_criteria=clinical_criteria,
        )

    form = forms.WardRoundForm(request.POST)
    return _spell_form_post(
        request, pk, form, call, "ward_round_form", "ward-round", "Ward round plan saved for {name}."
    )


@require_POST
@requires("referral.decide")  # the LIT, who know what the community can offer, decide the pathway
def spell_pathway(request, pk):
    def call(spell, *, version, pathway):
        services.spell_update(actor=request.user, spell=spell, version=version, pathway=pathway)

    form = forms.PathwayForm(request.POST)
    return _spell_form_post(request, pk, form, call, "pathway_form", "pathway", "Pathway decision saved for {name}.")


@require_POST
@requires("referral.decide")  # the LIT follows up the people it stepped down
def spell_follow_up(request, pk):
    def call(spell, *, version, follow_up_91):
        services.spell_follow_up(actor=request.user, spell=spell, version=version, follow_up=follow_up_91)

    form = forms.FollowUpForm(request.POST)
    return _spell_form_post(
        request, pk, form, call, "follow_up_form", "follow-up", "91-day follow-up recorded for {name}."
    )


@require_POST
@requires("spell.edit")
def nctr_start(request, pk):
    def call(spell, *, started_on):
        services.nctr_start(actor=request.user, spell=spell, started_on=started_on)

    form = forms.NctrStartForm(request.POST)
    return _spell_form_post(
        request, pk, form, call, "nctr_form", "criteria", "Discharge ready date recorded for {name}."
    )


@require_POST
@requires("spell.edit")
def nctr_end(request, pk):
    def call(spell, *, ended_on):
        services.nctr_end(actor=request.user, spell=spell, ended_on=ended_on)

    form = forms.NctrEndForm(request.POST)
    return _spell_form_post(
        request, pk, form, call, "nctr_form", "criteria", "{name} meets the criteria to reside again."
    )


@require_POST
@requires("spell.edit")
def delay_set(request, pk):
    def call(spell, *, reason, started_on, note):
        services.delay_set(actor=request.user, spell=spell, reason=reason, started_on=started_on, note=note)

    form = forms.DelayForm(request.POST, reasons=selectors.delay_reasons())
    return _spell_form_post(request, pk, form, call, "delay_form", "delays", "Delay reason recorded for {name}.")


@require_POST
@requires("spell.edit")
def spell_transfer(request, pk):
    def call(spell, *, ward, at):
        services.spell_transfer(actor=request.user, spell=spell, ward=ward, at=at)

    form = forms.TransferForm(request.POST, wards=selectors.wards_for(user=request.user))
    return _spell_form_post(request, pk, form, call, "transfer_form", "wards", "Transfer recorded for {name}.")
