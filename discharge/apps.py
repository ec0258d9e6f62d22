from django.apps import AppConfig


class DischargeConfig(AppConfig):
    name = "discharge"
    verbose_name = "Hospital discharge"

    def ready(self):
        from caseload.timeline import register
        from discharge.timeline import stays

        register("spell", "Hospital stays", "discharge/timeline/_spell.html", stays)
