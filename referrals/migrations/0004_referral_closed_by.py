import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0003_open_referral_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("ocit", "0002_audit_tables_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="closed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        # Who closed each referral so far: the last status change in the audit trail.
        migrations.RunSQL(
            """
            UPDATE referrals_referral SET closed_by_id = (
                SELECT c.actor_id FROM ocit_changelog c
                WHERE c.object_type = 'referrals.referral'
                  AND c.object_id = CAST(referrals_referral.id AS VARCHAR(64))
                  AND c.action = 'transition'
                ORDER BY c.at DESC, c.id DESC LIMIT 1
            )
            WHERE closed_at IS NOT NULL
            """,
            migrations.RunSQL.noop,
        ),
    ]
