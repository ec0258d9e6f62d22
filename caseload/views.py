"""The caseload screens. Each view parses its input, makes one service or selector call, and renders.

htmx requests (`request.htmx`) get the named fragment of the same template; everything also works without
JavaScript through ordinary forms and redirects. Domain errors from the services are shown next to the
fields or rows they concern, never as a 500.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from caseload import forms, selectors, services, timeline
from caseload.filters import EpisodeFilter
from caseload.models import EpisodeStatus, GoalStatus, PackageStage, Priority, Sequel
from caseload.templatetags import caseload_extras
from ocit import audit
from ocit import selectors as audit_selectors
from ocit.errors import Conflict
from ocit.identifiers import normalise_nhs_number
from ocit.models import Discipline
from ocit.redirects import our_url
from ocit.roles import can, requires
from ocit.templatetags.ocit import day_time, url_for

TRIAGE_PAGE_SIZE = 25
TEAM_PAGE_SIZE = 50
MINE_PAGE_SIZE = 20
SEARCH_PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 50
CONTACTS_PAGE_SIZE = 20


def _filter_data(query, names):
    """Only the list's own filters from the query string (page and anything else stay out of the FilterSet)."""
    data = QueryDict(mutable=True)
    for name in names:
        if name in query:
            data[name] = query[name]
    return data


def _next_url(request, default):
    """Where to go back to after a POST: the page the form was on (sent with the form, or in the address of a form
    fetched from a page), if it is one of ours."""
    return our_url(request, request.POST.get("next") or request.GET.get("next", ""), default)


def _stale(conflict):
    """A stale-version conflict for display: its message and the record's current values, in words."""
    current = dict(conflict.details.get("current") or {})
    for key, choices in (("status", EpisodeStatus), ("priority", Priority), ("sequel", Sequel)):
        if current.get(key) in choices.values:
            current[key] = choices(current[key]).label
    return {"message": conflict.message, "current": current}


# Triage board ---------------------------------------------------------------------------------------

TRIAGE_FILTERS = ("lit", "service", "priority", "discipline")


def _allocate_options(episode, staff):
    """The <option>s of whom the episode may be allocated to: its LIT's staff, of its discipline if it needs one."""
    return format_html_join(
        "",
        '<option value="{}">{}</option>',
        (
            (user.pk, f"{user.full_name} ({user.get_discipline_display()})" if user.discipline else user.full_name)
            for user in staff
            if not episode.discipline_needed or user.discipline == episode.discipline_needed
        ),
    )


@requires("caseload.view")
def triage(request):
    """The board's rows hold no allocation form: a coordinator's Allocate fetches the row's (htmx,
    `episode_allocate_form`), so the board is not built with a practitioner list for every row it shows."""
    filters = EpisodeFilter(
        _filter_data(request.GET, TRIAGE_FILTERS), queryset=selectors.triage_board(user=request.user)
    )
    page = Paginator(filters.qs, TRIAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    audit.log_shown(request, page)
    today = timezone.localdate()
    return render(
        request,
        "caseload/triage.html",
        {
            "filters": filters,
            "filtered": any(request.GET.get(name) for name in TRIAGE_FILTERS),
            "page": page,
            "rows": [_triage_row(episode, today=today) for episode in page],
            "can_allocate": can(request.user, "caseload.allocate"),
            "next": request.get_full_path(),
        },
    )


def _triage_row(episode, options=None, error="", settled=False, focus=False, today=None):
    """A row of the triage board in the words it shows (`_episode_words`), with its allocation form's options once
    asked for and what became of an allocation. Every key is there even when empty: a key the template misses costs
    it an exception."""
    patient = episode.patient
    return {
        **_episode_words(episode, today or timezone.localdate()),
        "episode": episode,
        "received": caseload_extras.since(episode.received_at),
        "nhs_number": patient.nhs_number_display if patient.nhs_number else "",
        "needs": episode.get_discipline_needed_display() if episode.discipline_needed else "",
        "flags": caseload_extras.flags(patient),
        "options": options,
        "error": error,
        "settled": settled,
        "focus": focus,
    }


def _episode_words(episode, today):
    """What a list's row says of an episode and its patient, worked out here rather than looked up by the template:
    a list has up to fifty rows, and each word the template looked up (a method, a tag, a date in local time) cost
    it a dozen lookups. The template only places them."""
    patient = episode.patient
    return {
        "episode_url": url_for("caseload:episode_detail", episode.pk),
        "patient_url": url_for("caseload:patient_detail", episode.patient_id),
        "patient_name": patient.full_name,
        "age": patient.age_on(today),
        "service": episode.get_service_display(),
        "priority": caseload_extras.priority_tag(episode),
        "lit": episode.team.name,
        "clock": caseload_extras.clock(episode),
        "in_hospital": caseload_extras.in_hospital(episode),
    }


@require_safe
@requires("caseload.allocate")
@vary_on_headers("HX-Request")
def episode_allocate_form(request, pk):
    """A triage row's allocation form, fetched into the row when the coordinator chooses Allocate, its list of
    practitioners focused. Without htmx: the episode page's. An episode allocated since the board was loaded
    replaces its row, saying by whom."""
    episode = selectors.episode_get(user=request.user, pk=pk)
    if not request.htmx:
        return redirect(reverse("caseload:episode_detail", args=[episode.pk]) + "#allocate")
    back = our_url(request, request.htmx.current_url_abs_path, reverse("caseload:triage"))
    keyworker = selectors.current_keyworker(episode=episode)
    if keyworker is not None:
        row = _triage_row(episode, error=keyworker.already_allocated(), settled=True)
        response = render(request, "caseload/triage.html#row", {"row": row, "can_allocate": True, "next": back})
        return retarget(reswap(response, "outerHTML"), f"#triage-{episode.pk}")
    staff = selectors.allocatable_staff(team=episode.team, discipline=episode.discipline_needed)
    row = _triage_row(episode, options=_allocate_options(episode, staff), focus=True)
    return render(request, "caseload/triage.html#allocate", {"row": row, "next": back})


@require_POST
@requires("caseload.allocate")
def episode_allocate(request, pk):
    """Allocate from the triage board, without a version: of two coordinators at once, the second is told who won."""
    episode = selectors.episode_get(user=request.user, pk=pk)
    staff = selectors.allocatable_staff(team=episode.team, discipline=episode.discipline_needed)
    form = forms.AllocateForm(request.POST, staff=staff)
    back = _next_url(request, reverse("caseload:triage"))
    settled = False
    if form.is_valid():
        practitioner = form.cleaned_data["practitioner"]
        try:
            services.episode_allocate(actor=request.user, episode=episode, practitioner=practitioner)
        except Conflict as conflict:
            error, settled = conflict.message, True
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
        else:
            message = f"{episode.patient.full_name} allocated to {practitioner.full_name}."
            if request.htmx:
                # An empty row (the board's row is swapped out) and the message into the page's status area.
                return render(request, "caseload/triage.html#allocated", {"message": message})
            messages.success(request, message)
            return redirect(back)
    else:
        error = form.errors["practitioner"][0]
    if request.htmx:
        row = _triage_row(episode, options=_allocate_options(episode, staff), error=error, settled=settled)
        return render(request, "caseload/triage.html#row", {"row": row, "can_allocate": True, "next": back})
    messages.error(request, f"{episode.patient.full_name} was not allocated. {error}")
    return redirect(back)


# My caseload ----------------------------------------------------------------------------------------


def _card(episode, form=None, message=""):
    """A card of My caseload; its contact form only when it is being shown again with errors (otherwise the form is
    fetched when the practitioner opens it)."""
    return {"episode": episode, "form": form, "message": message}


@requires("caseload.view")
def mine(request):
    page = Paginator(selectors.my_caseload(user=request.user), MINE_PAGE_SIZE).get_page(request.GET.get("page"))
    audit.log_shown(request, page)
    return render(
        request,
        "caseload/mine.html",
        {"page": page, "cards": [_card(episode) for episode in page], "next": request.get_full_path()},
    )


@requires("patient.edit")
@vary_on_headers("HX-Request")
def contact_record(request, pk):
    """Record a visit or call. From a card on My caseload (htmx) the form is fetched into the card when opened, and
    the card is updated in place when it is sent."""
    episode = selectors.episode_get(user=request.user, pk=pk)
    form = forms.ContactForm(request.POST or None, prefix=forms.contact_prefix(episode))
    message = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_record(actor=request.user, episode=episode, **form.cleaned_data)
        except Conflict as conflict:
            form.add_error(None, conflict.message)
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        else:
            message = f"Contact recorded for {episode.patient.full_name}."
            if not request.htmx:
                messages.success(request, message)
                return redirect(_next_url(request, reverse("caseload:episode_detail", args=[episode.pk])))
            form = None
    if request.htmx and request.method == "POST":
        card_episode = selectors.my_caseload(user=request.user).filter(pk=episode.pk).first() or episode
        context = {"card": _card(card_episode, form, message), "next": _next_url(request, reverse("caseload:mine"))}
        return render(request, "caseload/mine.html#card", context)
    if request.htmx:
        context = {"episode": episode, "patient": episode.patient, "form": form, "next": _next_url(request, "")}
        return render(request, "caseload/mine.html#contact_form", context)
    return render(
        request,
        "caseload/contact_form.html",
        {"episode": episode, "form": form, "next": _next_url(request, "")},
    )


# Team caseload --------------------------------------------------------------------------------------

TEAM_FILTERS = ("lit", "service", "priority")


@requires("caseload.view")
def team(request):
    """Open episodes of one LIT (the user's by default) or all three (`?lit=`), grouped by keyworker."""
    data = _filter_data(request.GET, TEAM_FILTERS)
    if "lit" not in request.GET and request.user.team_id:
        data["lit"] = request.user.team.code
    filters = EpisodeFilter(data, queryset=selectors.team_caseload(user=request.user))
    lit = filters.form.cleaned_data.get("lit") if filters.is_valid() else None
    # The page's episodes are picked by id (sorted by keyworker from the indexes alone: sorting whole rows read every
    # open episode of the LIT), then read whole in the same query, the pick its subquery.
    paginator = Paginator(filters.qs.values("pk"), TEAM_PAGE_SIZE)
    # Counted without the keyworker join the rows are sorted by (a count keeps it, reading every current keyworker):
    # the same episodes, as each has at most one current keyworker (a constraint).
    paginator.count = filters.filter_queryset(selectors.open_episodes_to_count(user=request.user)).count()
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = filters.qs.filter(pk__in=page.object_list)
    audit.log_shown(request, page)
    by_discipline = selectors.caseload_by_discipline(user=request.user, team=lit)
    today = timezone.localdate()
    return render(
        request,
        "caseload/team.html",
        {
            "filters": filters,
            "lit": lit,
            "page": page,
            "rows": [_team_row(episode, today) for episode in page],
            "by_discipline": [(Discipline(code).label, count) for code, count in by_discipline.items()],
            "allocated": sum(by_discipline.values()),
        },
    )


def _team_row(episode, today):
    """A row of the team caseload in the words it shows (`_episode_words`), with its keyworker to group it by."""
    return {
        **_episode_words(episode, today),
        "keyworker_id": episode.keyworker_id,
        "keyworker_name": episode.keyworker_name,
        "keyworker_discipline": caseload_extras.discipline(episode.keyworker_discipline).lower(),
        "next_contact": caseload_extras.next_contact(episode.next_contact_on, today),
        "received": day_time(timezone.localtime(episode.received_at)),
    }


# Patients -------------------------------------------------------------------------------------------


@requires("caseload.view")
def search(request):
    """By NHS number (any spacing), or by name and date of birth, tolerant of typos on PostgreSQL."""
    searched = any(
        request.GET.get(name) for name in ("q", "date_of_birth_day", "date_of_birth_month", "date_of_birth_year")
    )
    form = forms.SearchForm(request.GET if searched else None)
    page = None
    if searched and form.is_valid():
        results = selectors.patient_find(
            user=request.user, query=form.cleaned_data["q"], date_of_birth=form.cleaned_data["date_of_birth"]
        )
        page = Paginator(results, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        audit.log_shown(request, page, patient_id=lambda patient: patient.pk)
    return render(
        request,
        "caseload/search.html",
        {"form": form, "page": page, "searched": page is not None, "can_add": can(request.user, "patient.edit")},
    )


@requires("patient.view")
def patient_detail(request, pk):
    """The person's details and their whole story: hospital stays, referrals and the caseload, newest first."""
    patient = selectors.patient_get(user=request.user, pk=pk)
    audit.log_access(actor=request.user, patient_id=patient.pk, obj=patient, via=request.get_full_path())
    chosen = [kind for kind in request.GET.getlist("kind") if kind in timeline.KINDS]
    entries = timeline.story(patient=patient, user=request.user, kinds=chosen)
    page = Paginator(entries, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "caseload/patient_detail.html",
        {
            "patient": patient,
            "episodes": timeline.patient_episodes(patient=patient, user=request.user),
            "page": page,
            "kinds": timeline.KINDS.values(),
            "chosen": chosen,
            "can_edit": can(request.user, "patient.edit"),
        },
    )


@requires("patient.edit")
def patient_create(request):
    """A new patient, after a check for likely duplicates that the user must confirm are different people."""
    form = forms.PatientForm(request.POST or None, teams=selectors.teams())
    duplicates = []
    if request.method == "POST" and form.is_valid():
        values = form.patient_values()
        duplicates = list(
            selectors.likely_duplicates(
                nhs_number=values["nhs_number"] or None,
                given_name=values["given_name"],
                family_name=values["family_name"],
                date_of_birth=values["date_of_birth"],
            )
        )
        confirmed = form.cleaned_data["not_a_duplicate"]
        if duplicates and not confirmed:
            if request.POST.get("duplicates_shown"):
                form.add_error("not_a_duplicate", "Open the existing record, or confirm this is a different person")
        else:
            try:
                patient = services.patient_create(actor=request.user, values=values)
            except ValidationError as invalid:
                form.add_service_errors(invalid)
            else:
                messages.success(request, f"{patient.full_name} added.")
                return redirect("caseload:patient_detail", pk=patient.pk)
    return render(request, "caseload/patient_form.html", {"form": form, "duplicates": duplicates})


@requires("patient.edit")
def episode_create(request, pk):
    patient = selectors.patient_get(user=request.user, pk=pk)
    form = forms.EpisodeForm(request.POST or None, teams=selectors.teams(), patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            episode = services.episode_open(actor=request.user, patient=patient, **form.cleaned_data)
        except Conflict as conflict:
            form.add_error("service", conflict.message)
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        else:
            messages.success(request, f"{episode.get_service_display()} episode opened for {patient.full_name}.")
            return redirect("caseload:episode_detail", pk=episode.pk)
    return render(request, "caseload/episode_form.html", {"patient": patient, "form": form})


# Episodes -------------------------------------------------------------------------------------------


def _episode_page(request, episode, conflict=None, **bound_forms):
    """The episode page, with any form that failed shown open with its errors."""
    timeline = selectors.episode_timeline(episode=episode)
    allocations = list(timeline["allocations"])
    keyworker = next((a for a in allocations if a.ended_at is None and a.role == "keyworker"), None)
    contacts = Paginator(timeline["contacts"], CONTACTS_PAGE_SIZE).get_page(request.GET.get("contacts_page"))
    can_allocate = can(request.user, "caseload.allocate") and episode.is_open
    reallocate_form = bound_forms.get("reallocate_form")
    if can_allocate and reallocate_form is None:
        reallocate_form = forms.ReallocateForm(
            staff=selectors.allocatable_staff(team=episode.team), initial={"version": episode.version}
        )
    context = {
        "episode": episode,
        "patient": episode.patient,
        "allocations": allocations,
        "keyworker": keyworker,
        "contacts": contacts,
        "goals": timeline["goals"],
        "packages": timeline["packages"],
        "equipment": timeline["equipment"],
        "can_edit": can(request.user, "patient.edit") and episode.is_open,
        "can_allocate": can_allocate,
        "goal_form": bound_forms.get("goal_form") or forms.GoalForm(),
        "equipment_form": bound_forms.get("equipment_form") or forms.EquipmentForm(),
        "reallocate_form": reallocate_form,
        "failed": next((name for name, form in bound_forms.items() if form is not None), ""),
        "conflict": conflict,
    }
    return render(request, "caseload/episode_detail.html", context)


@requires("caseload.view")
def episode_detail(request, pk):
    episode = selectors.episode_get(user=request.user, pk=pk)
    audit.log_access(actor=request.user, patient_id=episode.patient_id, obj=episode, via=request.get_full_path())
    return _episode_page(request, episode)


def _episode_form_post(request, pk, form_class, service, name, success):
    """A small form on the episode page: on success back to the page, otherwise the page with the errors."""
    episode = selectors.episode_get(user=request.user, pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(actor=request.user, episode=episode, **form.cleaned_data)
        except Conflict as conflict:
            form.add_error(None, conflict.message)
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        else:
            messages.success(request, success)
            return redirect(reverse("caseload:episode_detail", args=[episode.pk]) + f"#{name}")
    return _episode_page(request, episode, **{f"{name}_form": form})


@require_POST
@requires("patient.edit")
def goal_add(request, pk):
    return _episode_form_post(request, pk, forms.GoalForm, services.goal_add, "goal", "Goal added.")


@require_POST
@requires("patient.edit")
def equipment_add(request, pk):
    return _episode_form_post(request, pk, forms.EquipmentForm, services.equipment_add, "equipment", "Equipment added.")


@require_POST
@requires("caseload.allocate")
def episode_reallocate(request, pk):
    """Allocate or reallocate from the episode page, with the version the coordinator saw."""
    episode = selectors.episode_get(user=request.user, pk=pk)
    form = forms.ReallocateForm(request.POST, staff=selectors.allocatable_staff(team=episode.team))
    conflict = None
    if form.is_valid():
        practitioner = form.cleaned_data["practitioner"]
        try:
            services.episode_allocate(
                actor=request.user,
                episode=episode,
                practitioner=practitioner,
                role=form.cleaned_data["role"],
                version=form.cleaned_data["version"],
            )
        except services.StaleVersion as stale:
            conflict = _stale(stale)
            form.show_current_version(stale.details["version"])
        except Conflict as refused:
            form.add_error(None, refused.message)
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        else:
            messages.success(request, f"{practitioner.full_name} allocated.")
            return redirect(reverse("caseload:episode_detail", args=[episode.pk]) + "#allocation")
    return _episode_page(request, episode, conflict=conflict, reallocate_form=form)


@requires("patient.edit")
def package_record(request, pk):
    episode = selectors.episode_get(user=request.user, pk=pk)
    form = forms.PackageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.package_record(actor=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        else:
            messages.success(request, "Care package recorded.")
            return redirect(reverse("caseload:episode_detail", args=[episode.pk]) + "#packages")
    return render(request, "caseload/package_form.html", {"episode": episode, "form": form})


@requires("patient.edit")
def episode_close(request, pk):
    """Sequel, closing care package and goal outcomes together; the service refuses without them."""
    episode = selectors.episode_get(user=request.user, pk=pk)
    if not episode.is_open:
        messages.info(request, "This episode is already closed.")
        return redirect("caseload:episode_detail", pk=episode.pk)
    timeline = selectors.episode_timeline(episode=episode)
    packages = list(timeline["packages"])
    end_package = next((p for p in packages if p.stage == PackageStage.END), None)
    form = forms.CloseForm(
        request.POST or None,
        goals=[goal for goal in timeline["goals"] if goal.status == GoalStatus.OPEN],
        needs_package=end_package is None,
        initial={"version": episode.version},
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.episode_close(
                actor=request.user,
                episode=episode,
                version=form.cleaned_data["version"],
                sequel=form.cleaned_data["sequel"],
                closure_reason=form.cleaned_data["closure_reason"],
                closing_package=form.closing_package(),
                goal_outcomes=form.goal_outcomes(),
            )
        except services.StaleVersion as stale:
            conflict = _stale(stale)
            form.show_current_version(stale.details["version"])
        except Conflict as refused:
            form.add_error(None, refused.message)
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        except PermissionDenied:
            form.add_error(None, "Only a coordinator can close an episode that has not been allocated yet.")
        else:
            messages.success(request, f"Episode closed for {episode.patient.full_name}.")
            return redirect("caseload:episode_detail", pk=episode.pk)
    return render(
        request,
        "caseload/episode_close.html",
        {"episode": episode, "form": form, "end_package": end_package, "conflict": conflict},
    )


# Access history (coordinators and administrators) ---------------------------------------------------


@requires("patient.access_history")
def patient_access_history(request, pk):
    patient = selectors.patient_get_for_audit(pk=pk)
    page = Paginator(audit_selectors.patient_access_history(patient_id=patient.pk), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "caseload/patient_access_history.html", {"patient": patient, "page": page})


@requires("patient.access_history")
def access_history_lookup(request):
    """Find a patient by NHS number for the access-history page (used by administrators)."""
    nhs_number = request.GET.get("nhs_number", "")
    error = None
    try:
        patient = selectors.patient_by_nhs_number(nhs_number=normalise_nhs_number(nhs_number))
    except ValidationError as invalid:
        error = invalid.messages[0]
    else:
        if patient:
            return redirect("caseload:patient_access_history", pk=patient.pk)
        error = "No patient has that NHS number."
    return render(request, "caseload/access_history_lookup.html", {"nhs_number": nhs_number, "error": error})
