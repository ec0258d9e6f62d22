"""Throughput under concurrent load: gunicorn as in production, wrk hitting each page and API list as its usual role.

    python bench/load.py --scale ics        (or: make bench-load SCALE=ics)

Seeds (or, with BENCH_KEEP_DB=1, reuses) the scale's database like bench/run.py, starts gunicorn with the
production settings and worker count, and loads each address with `wrk` (Debian's package) for --duration seconds
over --connections connections, each connection its own signed-in session. A trivial view that renders nothing,
behind the same middleware, is loaded before and after each address in the same run, and a bare list (25 rows in
the page's chrome, nothing else) first. When the run ends, one JSON line gives the trivial view's runs, then one
per address its requests per second as a share of the trivial view's either side of it: {"name", "role", "url",
"requests_per_s", "trivial_requests_per_s", "share_of_trivial", "p50_ms", "p99_ms", "requests",
"timeouts_or_socket_errors", "scale"}.
"""

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from run import ROOT, seeded_database

# wrk prints one JSON object when done; each thread (one per connection) signs in as its own session.
WRK_SCRIPT = """
local sessions = {}
local index = 0
function setup(thread)
  index = index + 1
  thread:set("cookie", os.getenv("BENCH_COOKIE_" .. index))
end
function init(args)
  wrk.headers["Cookie"] = cookie
  if os.getenv("BENCH_HTMX") then wrk.headers["HX-Request"] = "true" end
end
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "bad_status": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "coventry", "ics"], default="coventry")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per address")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (docker-compose runs 3)")
    parser.add_argument("--only", help="load only the addresses whose name contains this (and the two references)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    with seeded_database(args.scale, args.seed):
        targets = [target for target in addresses() if not args.only or args.only in target[0]]
        with gunicorn(args.workers) as base:
            roles = {"coordinator"} | {role for _, role, _ in targets}
            sessions = {role: [sign_in(role) for _ in range(args.connections)] for role in roles}
            # Warm up first (each worker's connection to the database, templates, caches), measuring nothing.
            hit(base, TRIVIAL[2], sessions["coordinator"], argparse.Namespace(**{**vars(args), "duration": 5}))
            # The floor is loaded before and after every address, for half as long: a machine's speed drifts over a
            # run (by a third on a shared one), so each address is set against the floor of its own minutes.
            floor_args = argparse.Namespace(**{**vars(args), "duration": max(5, args.duration // 2)})
            floors = [hit(base, TRIVIAL[2], sessions["coordinator"], floor_args)["requests_per_s"]]
            results = []
            for name, role, url in [BARE_LIST, *targets]:
                result = {"name": name, "role": role, "url": url, **hit(base, url, sessions[role], args)}
                floors.append(hit(base, TRIVIAL[2], sessions["coordinator"], floor_args)["requests_per_s"])
                result["trivial_requests_per_s"] = round((floors[-2] + floors[-1]) / 2, 1)
                results.append(result)
                print(f"{name}: {result['requests_per_s']} requests/s", file=sys.stderr, flush=True)
    print(json.dumps({"name": TRIVIAL[0], "role": TRIVIAL[1], "url": TRIVIAL[2], "requests_per_s": floors}), flush=True)
    for result in results:
        share = round(result["requests_per_s"] / result["trivial_requests_per_s"], 3)
        print(json.dumps({**result, "share_of_trivial": share, "scale": args.scale}), flush=True)


TRIVIAL = ("trivial_view", "coordinator", "/bench/trivial/")
# The least a page with rows can be (bench/pages.py): how near the floor a list can get, measured in the same run.
BARE_LIST = ("bare_list", "coordinator", "/bench/bare-list/")
HTMX = "#htmx"  # marks an address requested as htmx does (the HX-Request header); not sent


def addresses():
    """(name, role, url): each page and API list as the role that uses it most, with the data's hardest cases."""
    from django.db.models import Count
    from django.urls import reverse

    from caseload.models import Patient

    longest = Patient.objects.annotate(n=Count("episodes")).order_by("-n", "pk").values_list("pk", flat=True)[0]
    # A typo in the commonest surname: the search has many people to rank, as it would for a real name.
    common = (Patient.objects.values("family_name").annotate(n=Count("pk")).order_by("-n", "family_name").first())[
        "family_name"
    ]
    typo = common[0] + common[2] + common[1] + common[3:]
    return [
        ("triage_board", "coordinator", reverse("caseload:triage")),
        ("team_caseload", "coordinator", reverse("caseload:team")),
        ("my_caseload", "practitioner", reverse("caseload:mine")),
        ("today", "practitioner", reverse("caseload:today")),
        ("search_by_name", "coordinator", reverse("caseload:search") + f"?q={typo}"),
        ("patient_page", "coordinator", reverse("caseload:patient_detail", args=[longest])),
        ("pull_list", "coordinator", reverse("referrals:pull_list")),
        # The pull list's two lower lists, as the page fetches them once shown (htmx).
        ("pull_list_not_referred", "coordinator", reverse("referrals:pull_list_not_referred") + HTMX),
        ("pull_list_in_hospital", "coordinator", reverse("referrals:pull_list_in_hospital") + HTMX),
        ("referral_list", "coordinator", reverse("referrals:list")),
        ("ward_board", "ward", reverse("discharge:ward_board")),
        ("dashboard", "board", reverse("benefits:dashboard")),
        ("metric_page", "board", reverse("benefits:metric", args=["admissions_avoided"])),
        ("board_pack", "board", reverse("benefits:board_pack")),
        ("finance", "board", reverse("benefits:finance")),
        ("episode_list_api", "coordinator", "/api/v1/episodes/"),
        ("episode_list_api_active", "coordinator", "/api/v1/episodes/?status=active"),
        ("patient_list_api", "coordinator", "/api/v1/patients/"),
        ("referral_list_api", "coordinator", "/api/v1/referrals/"),
        ("spell_list_api", "ward", "/api/v1/spells/"),
        ("metric_list_api", "board", "/api/v1/metrics/"),
    ]


def sign_in(role):
    """A new session cookie for the role's demo login."""
    from django.conf import settings
    from django.test import Client

    from ocit.models import User

    client = Client()
    client.force_login(User.objects.get(email=f"{role}@ocit.test"))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@contextlib.contextmanager
def gunicorn(workers):
    """gunicorn serving the app with the production settings, plus the trivial view (bench/serve.py); yields its
    address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        *("-c", "python:ocit.gunicorn_conf", "serve", "--pythonpath", f"{ROOT / 'bench'},{ROOT}"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
    ]
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60")}
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                raise RuntimeError("gunicorn did not start")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)
            if process.returncode not in (0, -15):
                log.seek(0)
                sys.stderr.write(log.read().decode())


def hit(base, url, cookies, args):
    """Check the address answers 200 for the role, then load it with wrk."""
    htmx = url.endswith(HTMX)
    url = url.removesuffix(HTMX)
    headers = {"Cookie": cookies[0], **({"HX-Request": "true"} if htmx else {})}
    request = urllib.request.Request(base + url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 200 or response.url != base + url:
            sys.exit(f"{url} answered {response.status} at {response.url}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        env = {**os.environ, **{f"BENCH_COOKIE_{n + 1}": cookie for n, cookie in enumerate(cookies)}}
        if htmx:
            env["BENCH_HTMX"] = "1"
        command = [
            "wrk",
            "-t",
            str(args.connections),
            "-c",
            str(args.connections),
            "-d",
            f"{args.duration}s",
            "--timeout",
            "10s",
        ]
        output = subprocess.run(
            [*command, "-s", script.name, base + url], env=env, capture_output=True, text=True, check=True
        ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    if figures["bad_status"]:
        sys.exit(f"{url}: {figures['bad_status']} answers were errors")
    return {
        "requests_per_s": round(figures["requests"] / (figures["duration_us"] / 1e6), 1),
        "p50_ms": round(figures["p50_us"] / 1000, 1),
        "p99_ms": round(figures["p99_us"] / 1000, 1),
        "requests": figures["requests"],
        "timeouts_or_socket_errors": figures["socket_errors"],  # wrk gives up on an answer after 10 s
    }


if __name__ == "__main__":
    main()
