from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class CaseloadConfig(AppConfig):
    name = "caseload"
    verbose_name = "Shared caseload"

    def ready(self):
        from caseload import selectors, timeline
        from caseload.models import Team

        timeline.register_caseload_kinds()
        # Every way a LIT is written: the admin (save), and data migrations (whose models send no signals of Team's).
        for signal in (post_save, post_delete):
            signal.connect(selectors.forget_teams, sender=Team, dispatch_uid="caseload_forget_teams")
        post_migrate.connect(selectors.forget_teams, sender=self, dispatch_uid="caseload_forget_teams")
