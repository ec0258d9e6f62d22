"""Name search by way of the distinct names (`PatientName`), and on PostgreSQL the trigger that keeps them.

The trigram indexes on the patients' own names (0004) go: matching a typo against them rechecked every patient who
shared a trigram with it (13,204 rows for 869 matches at 300,000 patients); the names are matched instead, then their
patients read by the lower-cased names' b-tree indexes.
"""

import django.db.models.functions.text
from django.db import migrations, models

KEEP_NAMES = """
CREATE INDEX patient_name_trgm ON caseload_patientname USING gin (name gin_trgm_ops);

CREATE OR REPLACE FUNCTION caseload_patient_names_kept() RETURNS trigger AS $$
BEGIN
    INSERT INTO caseload_patientname (name)
        SELECT lower(family_name) FROM written UNION SELECT lower(given_name) FROM written
    ON CONFLICT (name) DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER caseload_patient_names_inserted AFTER INSERT ON caseload_patient
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION caseload_patient_names_kept();
CREATE TRIGGER caseload_patient_names_updated AFTER UPDATE ON caseload_patient
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION caseload_patient_names_kept();

INSERT INTO caseload_patientname (name)
    SELECT lower(family_name) FROM caseload_patient UNION SELECT lower(given_name) FROM caseload_patient
ON CONFLICT (name) DO NOTHING;

DROP INDEX IF EXISTS patient_family_name_trgm;
DROP INDEX IF EXISTS patient_given_name_trgm;
"""

FORGET_NAMES = """
DROP TRIGGER IF EXISTS caseload_patient_names_inserted ON caseload_patient;
DROP TRIGGER IF EXISTS caseload_patient_names_updated ON caseload_patient;
DROP FUNCTION IF EXISTS caseload_patient_names_kept();
CREATE INDEX IF NOT EXISTS patient_family_name_trgm ON caseload_patient USING gin (lower(family_name) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS patient_given_name_trgm ON caseload_patient USING gin (lower(given_name) gin_trgm_ops);
"""


def keep_names(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(KEEP_NAMES, params=None)


def forget_names(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORGET_NAMES, params=None)


class Migration(migrations.Migration):
    dependencies = [("caseload", "0013_current_keyworker_index")]

    operations = [
        migrations.CreateModel(
            name="PatientName",
            fields=[("name", models.TextField(primary_key=True, serialize=False))],
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(django.db.models.functions.text.Lower("family_name"), name="patient_family_name_lower"),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(django.db.models.functions.text.Lower("given_name"), name="patient_given_name_lower"),
        ),
        migrations.RunPython(keep_names, forget_names),
    ]
