from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self):
        from caseload.timeline import register
        from referrals.timeline import referrals

        register("referral", "Referrals", "referrals/timeline/_referral.html", referrals)
