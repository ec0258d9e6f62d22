"""Every view of a patient record and every change is written to the audit trail, which cannot be rewritten."""

import datetime
import importlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils.html import escape

from caseload import services as caseload_services
from ocit import audit
from ocit.models import AccessLog, AuditAction, ChangeLog
from tests import factories


def test_viewing_a_patient_page_writes_an_access_log_row(client, practitioner, patient):
    client.force_login(practitioner)
    url = reverse("caseload:patient_detail", args=[patient.pk])
    assert client.get(url).status_code == 200
    row = AccessLog.objects.get()
    assert (row.actor, row.patient_id, row.via, row.action) == (practitioner, patient.pk, url, "view")


def test_retrieving_a_patient_through_the_api_writes_an_access_log_row(client, coordinator, patient):
    client.force_login(coordinator)
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    row = AccessLog.objects.get()
    assert (row.actor, row.patient_id, row.via) == (coordinator, patient.pk, f"API /api/v1/patients/{patient.pk}/")


def test_retrieving_a_spell_through_the_api_logs_access_to_its_patient(client, ward_nurse, ward_a, patient):
    spell = factories.SpellFactory(ward=ward_a, patient=patient)
    client.force_login(ward_nurse)
    assert client.get(f"/api/v1/spells/{spell.pk}/").status_code == 200
    row = AccessLog.objects.get()
    assert (row.actor, row.patient_id, row.object_type, row.object_id) == (
        ward_nurse,
        patient.pk,
        "discharge.spell",
        str(spell.pk),
    )


def test_record_update_saves_the_change_and_logs_old_and_new_values(practitioner, patient):
    changes = audit.record_update(
        obj=patient, actor=practitioner, values={"postcode": "CV2 2DX"}, reason="Moved", patient_id=patient.pk
    )
    patient.refresh_from_db()
    row = ChangeLog.objects.get()
    assert patient.postcode == "CV2 2DX"
    assert changes == {"postcode": ("CV6 4DD", "CV2 2DX")}
    assert (row.actor, row.actor_label, row.action) == (practitioner, practitioner.email, AuditAction.UPDATE)
    assert (row.object_type, row.object_id, row.patient_id) == ("caseload.patient", str(patient.pk), patient.pk)
    assert row.changes == {"postcode": ["CV6 4DD", "CV2 2DX"]}
    assert row.reason == "Moved"


def test_record_update_with_nothing_changed_writes_nothing(practitioner, patient):
    assert audit.record_update(obj=patient, actor=practitioner, values={"postcode": patient.postcode}) == {}
    assert not ChangeLog.objects.exists()


def test_a_change_made_by_a_process_names_the_process(patient):
    audit.record_update(obj=patient, actor=None, values={"address": "2 Test Street"}, process="nightly-import")
    row = ChangeLog.objects.get()
    assert (row.actor, row.actor_label) == (None, "process:nightly-import")


def test_a_change_with_neither_user_nor_process_is_refused(patient):
    with pytest.raises(ValueError, match="must name the process"):
        audit.record_update(obj=patient, actor=None, values={"address": "2 Test Street"})
    assert not ChangeLog.objects.exists()


@pytest.mark.postgres
def test_the_database_refuses_to_update_or_delete_audit_rows(practitioner, patient):
    change = audit.log_change(actor=practitioner, obj=patient, action=AuditAction.UPDATE, changes={"sex": ("a", "b")})
    access = audit.log_access(actor=practitioner, patient_id=patient.pk, obj=patient, via="/test/")
    attempts = [
        lambda: ChangeLog.objects.filter(pk=change.pk).update(reason="rewritten"),
        lambda: ChangeLog.objects.filter(pk=change.pk).delete(),
        lambda: AccessLog.objects.filter(pk=access.pk).update(via="/elsewhere/"),
        lambda: AccessLog.objects.filter(pk=access.pk).delete(),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert ChangeLog.objects.get(pk=change.pk).reason == ""
    assert AccessLog.objects.get(pk=access.pk).via == "/test/"


@pytest.mark.postgres
def test_the_database_refuses_to_truncate_audit_tables(db):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL ocit.audit_truncate = ''")  # as on the app's database (tests allow it, to flush)
        for table in ("ocit_changelog", "ocit_accesslog"):
            with pytest.raises(DatabaseError, match="append-only: TRUNCATE"), transaction.atomic():
                cursor.execute(f"TRUNCATE {table}")


@pytest.mark.postgres
def test_no_role_but_the_owner_may_change_audit_rows(db):
    """The app's role (docker-compose's ocit_app) keeps SELECT and INSERT only, whatever it was granted."""
    restrict = importlib.import_module("ocit.migrations.0004_audit_tables_refuse_truncate").RESTRICT
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE ocit_test_app NOLOGIN")
        cursor.execute("GRANT ALL ON ocit_changelog, ocit_accesslog TO ocit_test_app")
        cursor.execute(restrict)
        cursor.execute(
            "SELECT has_table_privilege('ocit_test_app', t, p)"
            " FROM unnest(ARRAY['ocit_changelog', 'ocit_accesslog']) t,"
            " unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p ORDER BY t, p"
        )
        allowed = [row[0] for row in cursor.fetchall()]
    # per table, in order: DELETE, INSERT, SELECT, TRUNCATE, UPDATE
    assert allowed == [False, True, True, False, False] * 2


def test_access_history_page_shows_who_viewed_the_record(client, practitioner, coordinator, patient):
    client.force_login(practitioner)
    client.get(reverse("caseload:patient_detail", args=[patient.pk]))
    client.force_login(coordinator)
    page = client.get(reverse("caseload:patient_access_history", args=[patient.pk])).content.decode()
    assert escape(practitioner.full_name) in page
    assert practitioner.email in page
    assert "Nobody has viewed this record yet" not in page


def test_a_list_of_patients_writes_one_access_row_per_patient_shown(client, coordinator, teams):
    people = [factories.PatientFactory(team=teams["tile-hill"]) for _ in range(7)]
    client.force_login(coordinator)

    response = client.get("/api/v1/patients/", {"page_size": 50})

    assert response.status_code == 200 and len(response.json()["results"]) == 7
    rows = AccessLog.objects.filter(actor=coordinator, via="API /api/v1/patients/?page_size=50")
    assert rows.count() == 7
    assert sorted(rows.values_list("patient_id", flat=True)) == sorted(person.pk for person in people)


@pytest.mark.parametrize(
    ("url", "logged"),
    [("/api/v1/episodes/", "caseload.episode"), ("/caseload/triage/", "caseload.episode")],
)
def test_a_list_of_episodes_writes_one_access_row_per_episode_shown(client, coordinator, teams, url, logged):
    for _ in range(4):
        caseload_services.episode_open(
            actor=coordinator,
            patient=factories.PatientFactory(team=teams["tile-hill"]),
            service="ucr",
            source="gp",
            priority="urgent",
            received_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
        )
    client.force_login(coordinator)
    assert client.get(url).status_code == 200
    assert AccessLog.objects.filter(actor=coordinator, object_type=logged).count() == 4
