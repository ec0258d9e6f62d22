"""On PostgreSQL the audit tables refuse TRUNCATE too (UPDATE and DELETE already: 0002), and no role but their
owner may change them: the app's own role (docker-compose: `ocit_app`) may only read and append.

Emptying them on purpose (a test database between tests, a retention job run by the owner) needs the session
setting `ocit.audit_truncate = 'allowed'`, which the app never sets.
"""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION ocit_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('ocit.audit_truncate', true) = 'allowed' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only: TRUNCATE on % refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ocit_changelog_no_truncate BEFORE TRUNCATE ON ocit_changelog
    FOR EACH STATEMENT EXECUTE FUNCTION ocit_audit_no_truncate();
CREATE TRIGGER ocit_accesslog_no_truncate BEFORE TRUNCATE ON ocit_accesslog
    FOR EACH STATEMENT EXECUTE FUNCTION ocit_audit_no_truncate();
"""

# Every other role keeps at most SELECT and INSERT on the audit tables.
RESTRICT = """
DO $$
DECLARE grant_row record;
BEGIN
    FOR grant_row IN
        SELECT DISTINCT g.grantee, g.table_name
        FROM information_schema.role_table_grants g JOIN pg_tables t ON t.tablename = g.table_name
        WHERE g.table_name IN ('ocit_changelog', 'ocit_accesslog')
          AND g.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
          AND g.grantee <> t.tableowner
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM %I', grant_row.table_name, grant_row.grantee);
    END LOOP;
END
$$;
"""

ALLOW = """
DROP TRIGGER IF EXISTS ocit_changelog_no_truncate ON ocit_changelog;
DROP TRIGGER IF EXISTS ocit_accesslog_no_truncate ON ocit_accesslog;
DROP FUNCTION IF EXISTS ocit_audit_no_truncate();
"""


def forbid(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID, params=None)
        schema_editor.execute(RESTRICT, params=None)


def allow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW, params=None)


class Migration(migrations.Migration):
    dependencies = [("ocit", "0003_idempotent_requests")]
    operations = [migrations.RunPython(forbid, allow)]
