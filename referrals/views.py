"""The referral screens: raise from a hospital stay, the LIT's pull list, the referral page, and the discharge.

Each view parses its input, makes one service or selector call, and renders. On the pull list, decisions are
htmx forms that update the row in place (or take it off the list); without JavaScript they are ordinary forms
that redirect back with a message. Each row carries only the one-click Accept: its decline and redirect forms
are fetched into the row when asked for (without JavaScript, the link opens the referral page's forms). A refused
decision (a lost race, a missing reason) is shown beside the row or, without JavaScript, on the referral page
with an error summary: never a 500, and nothing half-written.
"""

import datetime
import sys

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Window
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from caseload import selectors as caseload_selectors
from caseload.models import Source
from caseload.templatetags.caseload_extras import format_duration
from discharge import selectors as discharge_selectors
from discharge.forms import short_pathway
from discharge.views import discharge_status
from ocit import audit
from ocit import selectors as audit_selectors
from ocit.errors import Conflict
from ocit.models import LIT_ROLES, AuditAction, Role
from ocit.redirects import our_url
from ocit.roles import can, requires
from referrals import forms, selectors, services
from referrals.models import ReferralStatus

PULL_PAGE_SIZE = 25
# Loaded into a pull list row on demand; the row itself carries only the one-click Accept.
ON_DEMAND_MOVES = ("decline", "redirect")
SPELLS_PAGE_SIZE = 25
TO_PULL_PAGE_SIZE = 25  # admitted, not referred: the most likely to need OCIT first
LIST_PAGE_SIZE = 50
DUE_SOON = datetime.timedelta(hours=1)
ALL_LITS = "all"


def _next_url(request, default):
    """Where to go back to after a POST: the page the form was on, if it is one of ours."""
    return our_url(request, request.POST.get("next", ""), default)


def _first_decision(referral):
    """What was decided on the received referral: its status now, unless it was accepted and has moved on since."""
    if referral.status in (ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN) and referral.closed_at != (
        referral.decided_at
    ):
        return "accepted"
    return referral.get_status_display().lower()


def decision_clock(referral, now=None):
    """{text, state} of the response clock: time left or overdue while undecided; who decided, and when, after. (Named
    keys: a template reads a dict's at once, and a tuple's by number only after failing to read it as a name.)"""
    left = referral.decision_time_left(now)
    if left is not None:
        if left < datetime.timedelta(0):
            return {"text": f"Overdue by {format_duration(left)}", "state": "overdue"}
        return {"text": f"{format_duration(left)} left", "state": "due_soon" if left < DUE_SOON else "open"}
    if referral.decided_at:
        when = timezone.localtime(referral.decided_at)
        who = referral.decided_by.full_name if referral.decided_by else "someone"
        text = f"{_first_decision(referral).capitalize()} by {who} at {when:%H:%M} on {when:%-d %b}"
        return {"text": text, "state": "decided"}
    return {"text": referral.get_status_display(), "state": "decided"}


def _refusal(conflict, referral):
    """A refused decision in words. The service names the winner of a race it loses at the UPDATE (`referral` is
    still the received one then); a referral decided before this request arrived (the usual lost race: the other
    person clicked first) is told the same way: who decided, and when."""
    if referral.status == ReferralStatus.RECEIVED or not referral.decided_at:
        return conflict.message
    return _already_decided(referral)


def _already_decided(referral):
    """Who decided the referral, and when (it has a decision)."""
    who = referral.decided_by.full_name if referral.decided_by else "someone else"
    when = timezone.localtime(referral.decided_at)
    first = _first_decision(referral)
    now = referral.get_status_display().lower()
    return f"This referral was already {first} by {who} at {when:%H:%M}" + (
        f" and is now {now}." if now != first else "."
    )


def _moves(user, referral):
    """The decisions this user may make on this referral now (the service checks again)."""
    moves = []
    if referral.status == ReferralStatus.RECEIVED and can(user, "referral.decide"):
        moves += ["accept", "decline", "redirect"]
    if referral.status == ReferralStatus.ACCEPTED and can(user, "referral.decide"):
        moves.append("complete")
    if referral.is_open and can(user, "referral.withdraw"):
        moves.append("withdraw")
    return moves


def _decision_forms(moves, referral, failed=None, failed_form=None):
    return {
        move: failed_form
        if move == failed and failed_form is not None
        else forms.DECISION_FORMS[move](prefix=forms.decision_prefix(move, referral))
        for move in moves
    }


def _uncounted_page(request, param, queryset, size):
    """A page of a long list, with Previous and Next but no total: counting the list would read every row in it
    (all of history, for the referral list), while the page reads its own rows and one more to know if there is a
    next. A number past the end shows the first page, as does one past any offset a database integer holds."""
    number = request.GET.get(param, "")
    number = int(number) if number.isdigit() and 0 < int(number) <= sys.maxsize // (size + 1) else 1
    rows = list(queryset[(number - 1) * size : number * size + 1])
    if not rows and number > 1:
        number, rows = 1, list(queryset[: size + 1])
    return {
        "object_list": rows[:size],
        "number": number,
        "has_previous": number > 1,
        "previous_page_number": number - 1,
        "has_next": len(rows) > size,
        "next_page_number": number + 1,
    }


def _first_error(form):
    errors = list(form.non_field_errors()) + [error for field in form for error in field.errors]
    return errors[0] if errors else ""


# Raise a referral -----------------------------------------------------------------------------------


def _source(user):
    """Ward staff refer; the LIT, starting a referral itself from the pull list, goes and gets the patient."""
    return Source.LIT_IN_REACH if user.role in LIT_ROLES else Source.WARD


@requires("referral.raise")
def referral_raise(request, spell_id):
    """From a patient on the ward: their details come from the record; the form asks only what it cannot know."""
    spell = discharge_selectors.spell_get(user=request.user, pk=spell_id)
    form = forms.RaiseForm(request.POST or None, initial=forms.RaiseForm.initial_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_raise(
                actor=request.user,
                patient=spell.patient,
                spell=spell,
                source=_source(request.user),
                **form.cleaned_data,
            )
        except Conflict as refused:
            form.add_error(None, refused.message)
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        else:
            due = timezone.localtime(referral.decision_due_by)
            messages.success(
                request,
                f"Referral sent for {spell.patient.full_name}. The LIT will decide by {due:%H:%M} on {due:%-d %b}.",
            )
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/raise.html",
        {"spell": spell, "patient": spell.patient, "form": form, "status": discharge_status(spell)},
    )


# Referrals list (ward staff: their own wards') -----------------------------------------------------


@requires("referral.view")
def referral_list(request):
    """Every referral the user may see, newest first, a page at a time (no all-time total: see `_uncounted_page`)."""
    page = _uncounted_page(request, "page", selectors.referrals_for(user=request.user), LIST_PAGE_SIZE)
    audit.log_shown(request, page["object_list"])
    now = timezone.now()
    rows = [{"referral": referral, "clock": decision_clock(referral, now)} for referral in page["object_list"]]
    return render(
        request,
        "referrals/list.html",
        {"page": page, "rows": rows, "ward_staff": request.user.role == Role.WARD_STAFF},
    )


# Pull list (LIT) ------------------------------------------------------------------------------------


def _pull_row(user, referral, now=None, failed=None, failed_form=None, **extra):
    """One row of the pull list. It builds no forms: the row has a one-click Accept and links that fetch the decline
    and redirect forms when asked for; only a refused decline or redirect comes back with its form, to show the
    error beside the field."""
    decide = referral.status == ReferralStatus.RECEIVED and can(user, "referral.decide")
    return {
        "referral": referral,
        "clock": decision_clock(referral, now),
        "decide": decide,
        "forms": _decision_forms(ON_DEMAND_MOVES, referral, failed, failed_form)
        if decide and failed in ON_DEMAND_MOVES
        else {},
        "failed": failed or "",
        # Every key the row's template reads, even when empty: a key it misses costs the template an exception.
        "error": "",
        "message": "",
        "settled": False,
        **extra,
    }


def _pull_list_team(request):
    """(the LITs, the one chosen): the user's own by default (`?lit=` absent), all three for `?lit=all`."""
    teams = caseload_selectors.active_teams()
    code = request.GET.get("lit")
    if code is None:
        return teams, next((t for t in teams if t.pk == request.user.team_id), None)
    if code in (ALL_LITS, ""):
        return teams, None
    team = next((t for t in teams if t.code == code), None)
    if team is None:
        raise Http404("No such LIT.")
    return teams, team


@requires("pulllist.view")
def pull_list(request):
    """Open referrals for a LIT's patients (the user's LIT by default, or all three), undecided and longest
    waiting first, with how many await a decision here and for the other LITs. Below them, that locality's patients
    in hospital with no referral and all of its patients in hospital: each list is fetched once the page is shown (or
    opened as a page of its own without JavaScript), so the referrals, the list's work, come first and alone."""
    teams, team = _pull_list_team(request)
    now = timezone.now()
    referrals = _uncounted_page(request, "page", selectors.pull_list(user=request.user, team=team), PULL_PAGE_SIZE)
    waiting = selectors.awaiting_decision_by_lit(user=request.user)
    awaiting = waiting.get(team.pk, 0) if team else sum(waiting.values())
    audit.log_shown(request, referrals["object_list"])
    return render(
        request,
        "referrals/pull_list.html",
        {
            "teams": teams,
            "team": team,
            "awaiting": awaiting,
            "elsewhere": sum(waiting.values()) - awaiting,
            "referrals": referrals,
            "rows": [_pull_row(request.user, referral, now) for referral in referrals["object_list"]],
            "query": request.GET.urlencode(),
            "next": request.get_full_path(),
        },
    )


def _pull_list_part(request, template, title, context):
    """One of the lists below the pull list's referrals: the fragment the pull list fetches (htmx), or a page of its
    own."""
    if request.htmx:
        return render(request, template, context)
    back = reverse("referrals:pull_list") + (f"?{context['query']}" if context["query"] else "")
    return render(request, "referrals/pull_list_part.html", {**context, "part": template, "title": title, "back": back})


def _counted_page(rows, per_page, number):
    """A page of `rows` that the page's own query counts (COUNT(*) OVER ()). The lists below the pull list find their
    rows by joins that a separate count would repeat at as much cost again. A page past the last, or not a number,
    is what `Paginator.get_page` gives: the last page, or the first."""
    paginator = Paginator(rows, per_page)
    try:
        number = int(number or 1)
    except ValueError:
        number = 1
    if 1 <= number <= sys.maxsize // per_page:  # past that, an offset no database integer holds
        start = (number - 1) * per_page
        shown = list(rows.annotate(rows_in_all=Window(Count("*")))[start : start + per_page])
        if shown or number == 1:
            paginator.count = shown[0].rows_in_all if shown else 0
            return Page(shown, number, paginator)
    return paginator.get_page(number)


@require_safe
@requires("pulllist.view")
@vary_on_headers("HX-Request")
def pull_list_not_referred(request):
    """The pull list proper: the locality's patients in hospital now whom nobody has referred, the most likely to
    need OCIT first, with the reasons."""
    _, team = _pull_list_team(request)
    ranked, factors = selectors.admitted_not_referred(user=request.user, team=team)
    to_pull = _counted_page(ranked, TO_PULL_PAGE_SIZE, request.GET.get("pull_page"))
    audit.log_shown(request, to_pull)
    context = {
        "team": team,
        "to_pull": to_pull,
        "to_pull_rows": [{"spell": spell, "reasons": selectors.reasons(spell, factors)} for spell in to_pull],
        "factors": factors,
        "query": request.GET.urlencode(),
    }
    return _pull_list_part(request, "referrals/_to_pull.html", "Admitted, not yet referred", context)


@require_safe
@requires("pulllist.view")
@vary_on_headers("HX-Request")
def pull_list_in_hospital(request):
    """The locality's patients in hospital now, the longest since discharge ready first."""
    _, team = _pull_list_team(request)
    spells = _counted_page(
        selectors.spells_in_locality(user=request.user, team=team), SPELLS_PAGE_SIZE, request.GET.get("spells_page")
    )
    audit.log_shown(request, spells)
    today = timezone.localdate()
    context = {
        "team": team,
        "spells": spells,
        "spell_rows": [{"spell": spell, **discharge_status(spell, today)} for spell in spells],
        "query": request.GET.urlencode(),
    }
    return _pull_list_part(request, "referrals/_in_hospital.html", "In hospital now", context)


@require_safe
@requires("referral.decide")
@vary_on_headers("HX-Request")
def referral_decision_form(request, pk):
    """The decline and redirect forms of one pull list row, fetched into the row (htmx) when asked for, the one
    chosen (`?move=`) open with its first field focused. Without htmx: the referral page's forms. A referral decided
    since the list was loaded replaces its row, saying who decided it and when."""
    referral = selectors.referral_get(user=request.user, pk=pk)
    if not request.htmx:
        return redirect(reverse("referrals:detail", args=[referral.pk]) + "#decide")
    back = our_url(request, request.htmx.current_url_abs_path, reverse("referrals:pull_list"))
    if referral.status != ReferralStatus.RECEIVED:
        row = _pull_row(request.user, referral, error=_already_decided(referral), settled=True)
        response = render(request, "referrals/pull_list.html#row", {"row": row, "next": back})
        return retarget(reswap(response, "outerHTML"), f"#referral-{referral.pk}")
    move = request.GET.get("move")
    decision_forms = _decision_forms(ON_DEMAND_MOVES, referral)
    if move in decision_forms:
        next(iter(decision_forms[move].fields.values())).widget.attrs["autofocus"] = True
    return render(
        request,
        "referrals/_decision_forms.html",
        {"forms": decision_forms, "referral": referral, "opened": move, "htmx": True, "next": back},
    )


# Decisions: accept, decline, redirect (the LIT); withdraw (ward staff for their wards, and the LIT); complete


def _decision_message(action, referral, values):
    name = referral.patient.full_name
    if action == "accept":
        return f"Referral accepted: {name} is on the {referral.patient.team.name} caseload, awaiting allocation."
    if action == "decline":
        return f"Referral for {name} declined."
    if action == "redirect":
        return f"Referral for {name} redirected to {values['to_where'].strip()}."
    if action == "withdraw":
        return f"Referral for {name} withdrawn."
    return f"Referral for {name} completed."


DECISION_SERVICES = {
    "accept": services.referral_accept,
    "decline": services.referral_decline,
    "redirect": services.referral_redirect,
    "withdraw": services.referral_withdraw,
    "complete": services.referral_complete,
}


def _decide(request, pk, action):
    referral = selectors.referral_get(user=request.user, pk=pk)
    form = forms.DECISION_FORMS[action](request.POST, prefix=forms.decision_prefix(action, referral))
    back = _next_url(request, reverse("referrals:detail", args=[referral.pk]))
    settled = False
    if form.is_valid():
        try:
            referral = DECISION_SERVICES[action](actor=request.user, referral=referral, **form.cleaned_data)
        except Conflict as refused:
            form.add_error(None, _refusal(refused, referral))
            settled = True
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        else:
            message = _decision_message(action, referral, form.cleaned_data)
            if request.htmx:
                if referral.is_open:
                    # Still on the pull list: the row is updated in place, with the message in it.
                    referral = selectors.referral_get(user=request.user, pk=pk)
                    row = _pull_row(request.user, referral, message=message)
                    return render(request, "referrals/pull_list.html#row", {"row": row, "next": back})
                # Off the list: an empty row (the row is swapped out) and the message into the page's status area.
                return render(request, "referrals/pull_list.html#removed", {"message": message})
            messages.success(request, message)
            return redirect(back)
    # Refused: shown with the referral as it is now (after a lost race, as the winner left it).
    referral = selectors.referral_get(user=request.user, pk=pk)
    if request.htmx:
        row = _pull_row(
            request.user,
            referral,
            error=_first_error(form),
            settled=settled,
            failed=None if settled else action,
            failed_form=None if settled else form,
        )
        return render(request, "referrals/pull_list.html#row", {"row": row, "next": back})
    return _detail_page(request, referral, failed=action, failed_form=form)


@require_POST
@requires("referral.decide")
def referral_accept(request, pk):
    return _decide(request, pk, "accept")


@require_POST
@requires("referral.decide")
def referral_decline(request, pk):
    return _decide(request, pk, "decline")


@require_POST
@requires("referral.decide")
def referral_redirect(request, pk):
    return _decide(request, pk, "redirect")


@require_POST
@requires("referral.withdraw")
def referral_withdraw(request, pk):
    return _decide(request, pk, "withdraw")


@require_POST
@requires("referral.decide")
def referral_complete(request, pk):
    return _decide(request, pk, "complete")


# Referral page ---------------------------------------------------------------------------------------


def _history_entry(change):
    """One line of the referral's decision history, in words, from the audit trail."""
    changes = change.changes or {}
    if "status" in changes:
        what = ReferralStatus(changes["status"][1]).label
    elif "episode" in changes:
        what = "Added to the shared caseload"
    else:
        what = "Updated"
    details = [
        f"{label}: {changes[field][1]}"
        for field, label in (("decision_reason", "Reason"), ("redirected_to", "Redirected to"), ("outcome", "Outcome"))
        if field in changes and changes[field][1]
    ]
    who = change.actor.full_name if change.actor else change.actor_label
    return {"at": change.at, "who": who, "what": what, "details": details}


def referral_history(referral):
    """Received, then every decision and change after it, oldest first. Referrals loaded in bulk (demo data,
    imports) have no change rows of their own: their decision is told from the referral itself."""
    raised_by = referral.raised_by.full_name if referral.raised_by else referral.referrer_name
    history = [
        {
            "at": referral.received_at,
            "who": raised_by,
            "what": "Received",
            "details": [f"From {referral.get_source_display().lower()}: {referral.referrer_name}"],
        }
    ]
    changes = (
        audit_selectors.patient_change_history(patient_id=referral.patient_id)
        .filter(object_type=referral._meta.label_lower, object_id=str(referral.pk))
        .exclude(action=AuditAction.CREATE)
        .order_by("at", "id")
    )
    entries = [_history_entry(change) for change in changes]
    if referral.decided_at and not any(change.action == AuditAction.TRANSITION for change in changes):
        who = referral.decided_by.full_name if referral.decided_by else ""
        entries.append({"at": referral.decided_at, "who": who, "what": _first_decision(referral).capitalize()})
        if referral.closed_at and referral.closed_at != referral.decided_at:
            entries.append({"at": referral.closed_at, "who": "", "what": referral.get_status_display()})
    return history + entries


def _detail_page(request, referral, failed=None, failed_form=None):
    context = {
        "referral": referral,
        "patient": referral.patient,
        "clock": decision_clock(referral),
        "history": referral_history(referral),
        "forms": _decision_forms(_moves(request.user, referral), referral, failed, failed_form),
        "failed": failed or "",
        "failed_form": failed_form,
        "can_see_caseload": can(request.user, "caseload.view"),
        "next": reverse("referrals:detail", args=[referral.pk]),
    }
    return render(request, "referrals/detail.html", context)


@requires("referral.view")
def referral_detail(request, pk):
    referral = selectors.referral_get(user=request.user, pk=pk)
    audit.log_access(actor=request.user, patient_id=referral.patient_id, obj=referral, via=request.get_full_path())
    return _detail_page(request, referral)


# Discharge -------------------------------------------------------------------------------------------


def _discharged_page(request, spell):
    """After the discharge: what was recorded and, for pathways 1 and 2, the step-down episode."""
    episode = None
    episode_id = request.GET.get("episode", "")
    if episode_id.isdigit() and can(request.user, "caseload.view"):
        episode = (
            caseload_selectors.episodes_for(user=request.user)
            .filter(pk=episode_id, patient_id=spell.patient_id)
            .first()
        )
    return render(
        request,
        "referrals/discharged.html",
        {
            "spell": spell,
            "patient": spell.patient,
            "status": discharge_status(spell),
            "pathway": short_pathway(spell.pathway),
            "episode": episode,
        },
    )


@requires("spell.edit")
def discharge(request, spell_id):
    """Record the discharge: it closes the stay and, for pathways 1 and 2, opens the step-down episode."""
    spell = discharge_selectors.spell_get(user=request.user, pk=spell_id)
    if spell.discharged_at is not None and request.method != "POST":
        return _discharged_page(request, spell)
    form = forms.DischargeForm(request.POST or None, initial={"version": spell.version, "pathway": spell.pathway})
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            spell, episode = services.discharge_record(actor=request.user, spell=spell, **form.cleaned_data)
        except Conflict as refused:
            if refused.details.get("current"):
                conflict = {"message": refused.message, "current": refused.details["current"]}
                form.show_current_version(refused.details["version"])
            form.add_error(None, refused.message)
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        else:
            message = f"Discharge recorded for {spell.patient.full_name}: {short_pathway(spell.pathway)}."
            if episode is not None:
                message += f" {episode.get_service_display()} episode opened for {episode.team.name}."
            messages.success(request, message)
            url = reverse("referrals:discharge", args=[spell.pk])
            return redirect(f"{url}?episode={episode.pk}" if episode is not None else url)
    return render(
        request,
        "referrals/discharge.html",
        {
            "spell": spell,
            "patient": spell.patient,
            "form": form,
            "conflict": conflict,
            "status": discharge_status(spell),
        },
    )
