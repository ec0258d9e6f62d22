"""On PostgreSQL the database itself refuses to change or delete audit rows."""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION ocit_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ocit_changelog_append_only BEFORE UPDATE OR DELETE ON ocit_changelog
    FOR EACH ROW EXECUTE FUNCTION ocit_audit_append_only();
CREATE TRIGGER ocit_accesslog_append_only BEFORE UPDATE OR DELETE ON ocit_accesslog
    FOR EACH ROW EXECUTE FUNCTION ocit_audit_append_only();
"""

ALLOW = """
DROP TRIGGER IF EXISTS ocit_changelog_append_only ON ocit_changelog;
DROP TRIGGER IF EXISTS ocit_accesslog_append_only ON ocit_accesslog;
DROP FUNCTION IF EXISTS ocit_audit_append_only();
"""


def forbid(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID, params=None)


def allow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW, params=None)


class Migration(migrations.Migration):
    dependencies = [("ocit", "0001_initial")]
    operations = [migrations.RunPython(forbid, allow)]
