"""The programme board's dashboard: stored figures only, aggregates only, LIT cells under 5 suppressed."""

import csv
import io

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from benefits import metrics, reports, selectors, tasks
from benefits.forms import DashboardFilterForm
from ocit.roles import can, requires


def _filters(request):
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters()
    if not form.is_bound:
        form.initial = {"period": filters.period, "start": filters.start, "end": filters.end}
    return form, filters


def _freshness(request):
    """What `benefits/_freshness.html` shows: the last runs, and whether this user may start one."""
    last, latest, stale = reports.freshness()
    return {
        "last_run": last,
        "latest_run": latest,
        "stale": stale,
        "can_recompute": can(request.user, "benefits.recompute"),
    }


def _page(request, template, context):
    context = {
        **context,
        **_freshness(request),
        "can_import": can(request.user, "benefits.import"),
        "query": request.GET.urlencode(),
    }
    return render(request, template, context)


@requires("dashboard.view")
def dashboard(request):
    form, filters = _filters(request)
    series = reports.series_for(filters)
    context = {"form": form, "filters": filters, "areas": reports.areas(series)}
    return _page(request, "benefits/dashboard.html", context)


@requires("dashboard.view")
def metric(request, key):
    if key not in metrics.BY_KEY:
        raise Http404("No such measure")
    form, filters = _filters(request)
    [item] = reports.series_for(filters, [metrics.BY_KEY[key]]) or [None]
    if item is None:
        raise Http404("Reported for all of OCIT only")
    context = {"form": form, "filters": filters, "item": item, "area_name": metrics.AREAS[item.metric.area]}
    return _page(request, "benefits/metric.html", context)


@requires("dashboard.view")
def board_pack(request):
    form, filters = _filters(request)
    context = {"form": form, "filters": filters, "areas": reports.areas(reports.series_for(filters))}
    return _page(request, "benefits/board_pack.html", context)


@requires("dashboard.view")
def finance(request):
    assumptions = selectors.assumptions_by_key()
    lines = [
        (metric, reports.assumption_context(metric, assumptions, timezone.localdate()))
        for metric in metrics.for_area(metrics.Area.FINANCE)
    ]
    return _page(request, "benefits/finance.html", {"years": reports.finance_by_year(), "lines": lines})


@requires("dashboard.view")
def export(request, view, file_format):
    _, filters = _filters(request)
    if view == "finance":
        header = ["Financial year", "Saving", "Actual (£)", "Plan (£)"]
        rows = [
            [year, metric.name, round(actual, 2) if actual is not None else "", planned if planned is not None else ""]
            for year, lines in reports.finance_by_year()
            for metric, actual, planned in lines
        ]
        name = "ocit-finance"
    elif view == "summary":
        header, rows = reports.summary_rows(reports.series_for(filters), filters)
        name = f"ocit-summary-{filters.period}-{filters.start}-to-{filters.end}"
    else:
        chosen = None
        if view != "all":
            if view not in metrics.BY_KEY:
                raise Http404("No such measure")
            chosen = [metrics.BY_KEY[view]]
        header, rows = reports.export_rows(reports.series_for(filters, chosen), filters)
        name = f"ocit-{view}-{filters.period}-{filters.start}-to-{filters.end}"
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
    tasks.recompute_request(actor=request.user, full=request.POST.get("scope") == "full", trigger="dashboard")
    if request.htmx:
        return recompute_progress(request)
    return redirect("benefits:dashboard")


@requires("dashboard.view")
def recompute_progress(request):
    context = {**_freshness(request), "queued": request.method == "POST"}
    return render(request, "benefits/_freshness.html", context)
