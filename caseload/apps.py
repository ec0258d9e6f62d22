from django.apps import AppConfig


class CaseloadConfig(AppConfig):
    name = "caseload"
    verbose_name = "Shared caseload"

    def ready(self):
        from caseload import timeline

        timeline.register_caseload_kinds()
