"""The response clock stops at the first attended face-to-face contact (a call no longer does): recompute each
episode's first contact from its contacts."""

from django.db import migrations
from django.db.models import Min, OuterRef, Subquery

FACE_TO_FACE = ["home", "clinic", "ward"]


def recompute_first_contacts(apps, schema_editor):
    Episode = apps.get_model("caseload", "Episode")
    Contact = apps.get_model("caseload", "Contact")
    first_visit = (
        Contact.objects.filter(episode=OuterRef("pk"), attended=True, location__in=FACE_TO_FACE)
        .values("episode")
        .annotate(first=Min("at"))
        .values("first")
    )
    Episode.objects.filter(first_contact_at__isnull=False).update(first_contact_at=Subquery(first_visit))


class Migration(migrations.Migration):
    dependencies = [("caseload", "0007_episode_clock_starts_at_discharge")]
    operations = [migrations.RunPython(recompute_first_contacts, migrations.RunPython.noop)]
