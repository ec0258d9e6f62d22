"""The nightly recompute against the seeded data: full and incremental time, peak memory, and the ratio to
one raw SQL pass that reads and aggregates the same tables."""

import os
import subprocess
import sys
import time

from django.db import connection

# One statement reading every table the recompute reads, grouped by LIT and week: the least work any
# recompute could do. The recompute is compared with it.
RAW_SQL = """
SELECT 'episode', p.team_id, date_trunc('week', e.received_at), COUNT(*), COUNT(e.closed_at),
       COUNT(DISTINCT e.patient_id)
FROM caseload_episode e JOIN caseload_patient p ON p.id = e.patient_id GROUP BY 1, 2, 3
UNION ALL
SELECT 'package', NULL::bigint, date_trunc('week', k.effective_on), COUNT(*), SUM(k.hours_per_week), 0
FROM caseload_carepackage k GROUP BY 1, 2, 3
UNION ALL
SELECT 'contact', NULL::bigint, date_trunc('week', c.at), COUNT(*), COUNT(DISTINCT c.episode_id), 0
FROM caseload_contact c GROUP BY 1, 2, 3
UNION ALL
SELECT 'spell', p.team_id, date_trunc('week', s.discharged_at), COUNT(*),
       SUM(EXTRACT(day FROM s.discharged_at - s.admitted_at)), 0
FROM discharge_spell s JOIN caseload_patient p ON p.id = s.patient_id GROUP BY 1, 2, 3
UNION ALL
SELECT 'nctr', NULL::bigint, date_trunc('week', n.started_on), COUNT(*),
       SUM(COALESCE(n.ended_on, CURRENT_DATE) - n.started_on), 0
FROM discharge_nctrperiod n GROUP BY 1, 2, 3
UNION ALL
SELECT 'referral', p.team_id, date_trunc('week', r.received_at), COUNT(*), COUNT(r.decided_at), 0
FROM referrals_referral r JOIN caseload_patient p ON p.id = r.patient_id GROUP BY 1, 2, 3
UNION ALL
SELECT 'external', NULL::bigint, date_trunc('week', x.on), COUNT(*), AVG(x.value), 0
FROM benefits_externalmeasure x GROUP BY 1, 2, 3
"""


# The recompute command in a fresh process, reporting that process's own peak resident memory (VmHWM; the
# rusage of a child forked from this large process would count this process's memory too).
COMMAND = """
import sys, django
django.setup()
from django.core.management import call_command
call_command("recompute_benefits", *sys.argv[1:])
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print("peak_kib", peak.split()[1])
"""


def _command(*arguments):
    """Run recompute_benefits in its own process: (seconds, its peak resident memory in MiB)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", COMMAND, *arguments],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    peak_kib = int(result.stdout.rsplit("peak_kib", 1)[1])
    return seconds, peak_kib / 1024


def _raw_pass():
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(RAW_SQL)
        cursor.fetchall()
        return time.perf_counter() - started


def _last_run_seconds():
    from benefits.models import RecomputeRun

    run = RecomputeRun.objects.order_by("-started_at").first()
    return (run.finished_at - run.started_at).total_seconds(), run


def run(emit, scale):
    from django.utils import timezone

    from benefits.models import MetricValue
    from caseload.models import Episode

    connection.close()  # the commands below use their own connections
    process, memory = _command("--full")
    full, _ = _last_run_seconds()
    emit("recompute_full", round(full, 2), "s", scale)
    emit("recompute_full_process", round(process, 2), "s", scale)
    emit("recompute_full_peak_memory", round(memory, 1), "MiB", scale)
    emit("metric_values", MetricValue.objects.count(), "rows", scale)

    _raw_pass()  # warm the cache as the recompute found it
    raw = min(_raw_pass() for _ in range(3))
    emit("raw_sql_pass", round(raw, 2), "s", scale)
    emit("recompute_full_ratio_to_raw_pass", round(full / raw, 1), "x", scale)

    # A day's work for the nightly run: recent episodes changed since the last run.
    changed = list(Episode.objects.order_by("-received_at").values_list("pk", flat=True)[:200])
    Episode.objects.filter(pk__in=changed).update(updated_at=timezone.now())
    connection.close()
    process, memory = _command()
    incremental, last = _last_run_seconds()
    emit("recompute_incremental", round(incremental, 2), "s", scale)
    emit("recompute_incremental_since", str(last.since), "date", scale)
    emit("recompute_incremental_peak_memory", round(memory, 1), "MiB", scale)
