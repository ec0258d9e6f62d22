import datetime

from django.core.management.base import BaseCommand, CommandError

from benefits import services


class Command(BaseCommand):
    help = (
        "Recompute the benefits dashboard's figures: by default the periods changed since the last successful "
        "run and the last two months, as the nightly run does."
    )

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--since", type=datetime.date.fromisoformat, help="Recompute every period from this date.")
        scope.add_argument("--full", action="store_true", help="Recompute every period from the first record.")

    def handle(self, *args, since=None, full=False, **options):
        try:
            run = services.recompute(trigger="command", since=since, full=full)
        except services.AlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        scope = "all periods" if run.full else f"periods from {run.since:%d %b %Y}"
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(f"Recomputed {scope}: {run.rows_written} figures in {seconds:.1f} s (run {run.pk}).")
