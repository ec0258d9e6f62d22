from django.apps import AppConfig


class OcitConfig(AppConfig):
    name = "ocit"
    verbose_name = "OCIT: accounts and audit"
