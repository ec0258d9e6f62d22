"""Fill the database with deterministic synthetic demo data and print the demo logins."""

import collections
import datetime
import gc
import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from benefits import demo as benefits_demo
from benefits import services as benefits_services
from benefits.metrics import GO_LIVE
from benefits.models import ExternalMeasure
from caseload import demo as caseload_demo
from caseload.models import Allocation, CarePackage, Contact, Episode, Equipment, Goal, Locality, Patient
from discharge import demo as discharge_demo
from discharge.models import Delay, NctrPeriod, Spell, Ward, WardStay
from ocit import audit, demo
from ocit.identifiers import synthetic_nhs_numbers
from referrals import demo as referrals_demo
from referrals.models import Referral

# The tables seed_demo fills, each summarised by one change-log row.
SEEDED = [
    Patient,
    Episode,
    Allocation,
    Contact,
    Goal,
    CarePackage,
    Equipment,
    Spell,
    WardStay,
    NctrPeriod,
    Delay,
    Referral,
    ExternalMeasure,
]


class Command(BaseCommand):
    help = "Seed synthetic demo data (NHS numbers from the 999 test range only)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=demo.SCALES, default="small")
        parser.add_argument("--seed", type=int, default=2024, help="Same seed and date, same data.")
        parser.add_argument(
            "--as-of", type=datetime.date.fromisoformat, default=None, help="The demo's day (YYYY-MM-DD)."
        )
        parser.add_argument("--replace", action="store_true", help="Delete existing patient records first.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when patients already exist.")
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")
        parser.add_argument(
            "--adt-replay",
            action="store_true",
            help="Then send today's ADT messages (admissions, moves, discharges) through the MLLP listener.",
        )

    def handle(self, *args, scale, seed, as_of, replace, if_empty, force, adt_replay=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off, so this may be a real database. Use --force if you are sure.")
        if not settings.DEMO_PASSWORD:
            raise CommandError("Set DEMO_PASSWORD: the demo logins need a password.")
        if if_empty and Patient.objects.exists():
            self.stdout.write("Demo data is already there: leaving it alone.")
            return
        if Patient.objects.exists() and not replace:
            raise CommandError("The database already holds patients. Use --replace to delete them and seed again.")

        ctx = demo.Context.create(
            scale=scale, seed=seed, day=as_of, password=settings.DEMO_PASSWORD, out=self.stdout, go_live=GO_LIVE
        )
        started = time.monotonic()
        self.stdout.write(f"Seeding '{scale}' demo data (seed {seed}, as of {ctx.as_of:%d %b %Y %H:%M})…")
        # The rows make no reference cycles, yet the collector's passes over the millions of them alive at once took
        # about a seventh of the time at the ICS scale.
        gc.disable()
        try:
            with transaction.atomic():
                if replace:
                    benefits_demo.clear()
                    referrals_demo.clear()
                    discharge_demo.clear()
                    caseload_demo.clear()
                logins = demo.seed_staff(ctx)
                with demo.checked_after_loading(SEEDED):
                    patients = caseload_demo.seed(ctx)
                    wards = discharge_demo.seed(ctx, ward_user=logins["ward"])
                    referrals_demo.seed(ctx, wards=wards)
                    benefits_demo.seed(ctx)
                reason = f"seed_demo --scale {scale} --seed {seed} --as-of {ctx.as_of:%Y-%m-%d}"
                for model in SEEDED:
                    audit.log_bulk(model=model, count=model.objects.count(), process="seed_demo", reason=reason)
        finally:
            gc.enable()

        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f}s: {patients:,} patients."))
        run = benefits_services.recompute(trigger="seed_demo", full=True, today=ctx.as_of.date())
        self.stdout.write(f"Dashboard figures calculated: {run.rows_written:,}.")
        if adt_replay:
            self.replay_adt(seed)
        password = settings.DEMO_PASSWORD if settings.DEBUG else "the DEMO_PASSWORD you set"
        self.stdout.write(f"Demo logins (password: {password}):")
        for user in logins.values():
            self.stdout.write(f"  {user.get_role_display():<22} {user.email}")

    def replay_adt(self, seed):
        """A day of the hospital's ADT messages through a real MLLP listener: the ward board fills itself."""
        from interfaces import replay

        now = timezone.now()
        since = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time(0, 30)))
        messages = replay.day_of_messages(
            rng=random.Random(seed),
            nhs_numbers=synthetic_nhs_numbers(start=950_000),
            wards=list(Ward.objects.filter(is_active=True).values_list("code", flat=True)),
            postcodes=[f"{district} 1AA" for district in Locality.objects.values_list("postcode_district", flat=True)],
            since=min(since, now - datetime.timedelta(hours=1)),
            until=now,
            admissions=40,
        )
        with replay.running_listener() as port:
            results = replay.send_all(messages, port)
        codes = collections.Counter(replay.ack_code(answer) for answer, _ in results)
        summary = ", ".join(f"{count} {code}" for code, count in sorted(codes.items()))
        self.stdout.write(f"ADT replay: {len(results)} messages through the MLLP listener ({summary}).")
