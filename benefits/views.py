"""The programme board's dashboard: stored figures only, aggregates only, LIT cells under 5 suppressed."""

import contextlib
import csv
import io

from celery.exceptions import Retry
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from benefits import metrics, reports, selectors
from benefits.forms import DashboardFilterForm
from benefits.models import RunStatus
from benefits.services import AlreadyRunning
from benefits.tasks import recompute_benefits_task
from ocit.roles import can, requires


def _filters(request):
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters()
    if not form.is_bound:
        form.initial = {"period": filters.period, "start": filters.start, "end": filters.end}
    return form, filters


def _page(request, template, context):
    last, latest, stale = reports.freshness()
    context = {
        **context,
        "last_run": last,
        "latest_run": latest,
        "stale": stale,
        "can_recompute": can(request.user, "benefits.recompute"),
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
    full = request.POST.get("scope") == "full"
    latest = selectors.latest_run()
    if latest is None or latest.status != RunStatus.RUNNING:
        # Without a broker the task runs here, and may find another recompute got there first.
        with contextlib.suppress(AlreadyRunning, Retry):
            recompute_benefits_task.delay(trigger="dashboard", full=full, actor_id=request.user.pk)
    if request.htmx:
        return recompute_progress(request)
    return redirect("benefits:dashboard")


@requires("dashboard.view")
def recompute_progress(request):
    last, latest, stale = reports.freshness()
    context = {
        "last_run": last,
        "latest_run": latest,
        "stale": stale,
        "can_recompute": can(request.user, "benefits.recompute"),
        "queued": request.method == "POST",
    }
    return render(request, "benefits/_freshness.html", context)
