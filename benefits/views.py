"""The programme board's dashboard: stored figures only, aggregates only, LIT cells under 5 suppressed."""

import csv
import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from benefits import metrics, reports, selectors, tasks
from benefits.forms import DashboardFilterForm, FigureForm
from ocit import audit, exports
from ocit.errors import Unavailable
from ocit.roles import can, requires


def _filters(request):
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters()
    if not form.is_bound:
        form.initial = {"period": filters.period, "start": filters.start, "end": filters.end}
    return form, filters


def _freshness(request):
    """What `benefits/_freshness.html` shows: the last runs, and whether this user may start one. Read on every
    request (three small queries), never cached: the last successful run also keys the cached figures."""
    last, latest, stale = reports.freshness()
    return {
        "last_run": last,
        "latest_run": latest,
        "stale": stale,
        "can_recompute": can(request.user, "benefits.recompute"),
    }


def _page(request, template, context, freshness):
    context = {
        **context,
        **freshness,
        "can_import": can(request.user, "benefits.import"),
        "query": request.GET.urlencode(),
    }
    return render(request, template, context)


@requires("dashboard.view")
def dashboard(request):
    form, filters = _filters(request)
    freshness = _freshness(request)
    figures = _figures(request, "benefits/_dashboard_figures.html", form, filters, freshness)
    return _page(request, "benefits/dashboard.html", {"filters": filters, "figures": figures}, freshness)


def _figures(request, template, form, filters, freshness):
    """The filter form and the figures part of the dashboard or the board pack (`template`), rendered and cached:
    drawing the form, tables and charts costs most of the page, and it is the same for everyone (the form shows
    only the query, and the figures' links carry only the query)."""
    query = request.GET.urlencode()

    def render_figures(assumptions):
        areas = reports.areas(reports.series_for(filters, assumptions=assumptions))
        context = {
            "form": form,
            "filters": filters,
            "areas": areas,
            "query": query,
            "query_suffix": f"?{query}" if query else "",
            "stale": freshness["stale"],
        }
        return render_to_string("benefits/_filters.html", context) + render_to_string(template, context)

    key = (template, *filters.key, query, freshness["stale"])
    return reports.cached(key, render_figures, run=freshness["last_run"])


@requires("dashboard.view")
def metric(request, key):
    metric = metrics.BY_KEY.get(key)
    if metric is None:
        raise Http404("No such measure")
    form, filters = _filters(request)
    freshness = _freshness(request)
    drill = ""
    if metric.records is not None:
        lit = f"&lit={filters.team.pk}" if filters.team else ""
        drill = f"{reverse('benefits:figure', args=[key])}?period={filters.period}{lit}&start="
    can_see_patients = can(request.user, "patient.view")
    query = request.GET.urlencode()

    def render_figures(assumptions):
        """The page below its heading, or None for a measure not reported for the LIT chosen."""
        item, parts = reports.metric_series(filters, metric, assumptions=assumptions)
        if item is None:
            return None
        context = {
            "form": form,
            "filters": filters,
            "item": item,
            "drill": drill,
            "parts": parts,
            "query": query,
            "can_see_patients": can_see_patients,
        }
        return render_to_string("benefits/_metric_figures.html", context)

    # The same for everyone who may (or may not) see patients: the drill-down's wording differs.
    figures = reports.cached(
        ("metric-page", key, *filters.key, query, can_see_patients), render_figures, run=freshness["last_run"]
    )
    if figures is None:
        raise Http404("Reported for all of OCIT only")
    context = {"metric": metric, "area_name": metrics.AREAS[metric.area], "figures": figures}
    return _page(request, "benefits/metric.html", context, freshness)


DRILL_PAGE_SIZE = 100


@requires("dashboard.view")
def figure(request, key):
    """The records behind one figure: for LIT coordinators, the list (each view written to the access log); for
    the programme board and administrators, the same page as counts only."""
    metric = metrics.BY_KEY.get(key)
    if metric is None or metric.records is None:
        raise Http404("This figure is made from other figures, not straight from records")
    form = FigureForm(request.GET)
    if not form.is_valid():
        return render(request, "benefits/figure.html", {"metric": metric, "form": form}, status=400)
    period, start, team = form.cleaned_data["period"], form.cleaned_data["start"], form.cleaned_data["lit"]
    if team is not None and not metric.per_lit:
        raise Http404("Reported for all of OCIT only")
    figure = selectors.metric_values(metric=key, period=period, team=team, start=start, end=start).first()
    # The records as the run that made the figure saw them: its day and moment decide what had happened by then.
    made_at = figure.computed_at if figure else timezone.now()
    records = metric.records
    rows = selectors.figure_records(
        records=records, start=start, end=reports.period_end(period, start), team=team, now=made_at
    )
    can_see_patients = can(request.user, "patient.view")
    counted = len({row.patient_id for row in rows}) if records.counts_people else len(rows)
    context = {
        "metric": metric,
        "form": form,
        "period_label": reports.period_label(period, start),
        "team": team,
        "figure": figure,
        "counted": counted,
        "met": sum(row.met for row in rows),
        "people": len({row.patient_id for row in rows}),
        # A LIT's figure from 1 to 4 records is shown as "<5" to anyone who may not see the records themselves.
        "small": team is not None and not can_see_patients and 0 < counted < reports.SMALL_NUMBER,
        "by_lit": reports.records_by_lit(rows, people=records.counts_people, suppress=not can_see_patients)
        if team is None
        else [],
        "can_see_patients": can_see_patients,
        "kind": records.kind,
    }
    if can_see_patients:
        ids = sorted({row.patient_id for row in rows}) if records.counts_people else [row.id for row in rows]
        page = Paginator(ids, DRILL_PAGE_SIZE).get_page(request.GET.get("page"))
        listing = list(selectors.figure_listing(user=request.user, records=records, ids=list(page)))
        audit.log_list_access(actor=request.user, objects=listing, patient_id=_patient_of, via=request.get_full_path())
        met = {row.id: row.met for row in rows}
        context.update(page=page, listing=[(obj, met.get(obj.pk)) for obj in listing])
    return _page(request, "benefits/figure.html", context, _freshness(request))


def _patient_of(obj):
    if hasattr(obj, "patient_id"):
        return obj.patient_id
    if hasattr(obj, "spell"):
        return obj.spell.patient_id
    return obj.pk


@requires("dashboard.view")
def board_pack(request):
    form, filters = _filters(request)
    freshness = _freshness(request)
    figures = _figures(request, "benefits/_board_pack_figures.html", form, filters, freshness)
    context = {"filters": filters, "figures": figures}
    return _page(request, "benefits/board_pack.html", context, freshness)


@requires("dashboard.view")
def finance(request):
    freshness = _freshness(request)
    return _page(request, "benefits/finance.html", reports.finance(run=freshness["last_run"]), freshness)


@requires("dashboard.view")
def export(request, view, file_format):
    """The figures on screen as a file, from the cache like the pages."""
    _, filters = _filters(request)
    run = selectors.last_successful_run()
    if view == "finance":
        header, rows = reports.plan_rows(reports.finance(run=run)["years"])
        name = "ocit-plan-against-actual"
    elif view == "summary":
        header, rows = reports.summary_rows(reports.cached_series(filters, run=run), filters)
        name = f"ocit-summary-{filters.period}-{filters.start}-to-{filters.end}"
    else:
        series = reports.cached_series(filters, run=run)
        if view != "all":
            if view not in metrics.BY_KEY:
                raise Http404("No such measure")
            series = [item for item in series if item.metric.key == view]
        header, rows = reports.export_rows(series, filters)
        name = f"ocit-{view}-{filters.period}-{filters.start}-to-{filters.end}"
    header, rows = exports.row(header), [exports.row(values) for values in rows]
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Figures")
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


@require_POST
@requires("benefits.recompute")
def recompute(request):
    try:
        tasks.recompute_request(actor=request.user, full=request.POST.get("scope") == "full", trigger="dashboard")
    except Unavailable as down:
        if request.htmx:  # swapped into the page (htmx swaps only successful answers), the reason shown in place
            return render(request, "benefits/_freshness.html", {**_freshness(request), "unavailable": down.message})
        messages.error(request, down.message)
        return redirect("benefits:dashboard")
    if request.htmx:
        return recompute_progress(request)
    return redirect("benefits:dashboard")


@requires("dashboard.view")
def recompute_progress(request):
    context = {**_freshness(request), "queued": request.method == "POST"}
    return render(request, "benefits/_freshness.html", context)
