"""Print the dashboard's figures against the savings plan, OCIT's published first year and the baselines."""

from django.core.management.base import BaseCommand

from benefits import reconcile


class Command(BaseCommand):
    help = "Check the stored figures against the plan, the first-year outcomes and the baselines."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=2025, help="The financial year to check (2025 for 2025/26).")

    def handle(self, *args, year, **options):
        section = None
        failed = 0
        for check in reconcile.checks(year=year):
            if check.section != section:
                section = check.section
                self.stdout.write(f"\n{section}")
            ratio = f"{check.ratio:.2f}×" if check.ratio is not None else "–"
            verdict = "ok" if check.ok else "CHECK"
            failed += not check.ok
            self.stdout.write(
                f"  {verdict:<5} {check.name:<75} {_number(check.measured):>14} against {_number(check.expected):>14}"
                f"  {ratio}"
            )
        self.stdout.write(f"\n{'Every check passed.' if not failed else f'{failed} to look at.'}")


def _number(value):
    if value is None:
        return "no data"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
