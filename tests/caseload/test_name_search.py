"""Name search on PostgreSQL: the names like the words typed are found among the distinct names, kept by a trigger
whatever writes a patient, then their patients."""

import datetime

import pytest

from caseload import selectors
from caseload.models import Patient, PatientName
from tests import factories

pytestmark = pytest.mark.postgres


def names():
    return set(PatientName.objects.values_list("name", flat=True))


def test_every_name_written_is_kept_whatever_writes_the_patient(db, teams):
    patient = factories.PatientFactory(given_name="Margaret", family_name="Higginbottom")
    assert {"margaret", "higginbottom"} <= names()

    Patient.objects.filter(pk=patient.pk).update(family_name="Ó Súilleabháin")  # no save(), no signal
    assert "ó súilleabháin" in names()

    # A bulk load: one INSERT of many rows, no save().
    Patient.objects.bulk_create([factories.PatientFactory.build(given_name="Winifred", family_name="Pemberton")])
    assert {"winifred", "pemberton"} <= names()


def test_a_typo_finds_a_patient_renamed_without_a_save(coordinator, teams):
    patient = factories.PatientFactory(given_name="Edna", family_name="Ashworth")
    factories.PatientFactory(given_name="Stanley", family_name="Okonkwo")
    Patient.objects.filter(pk=patient.pk).update(family_name="Higginbottom")
    assert selectors.patient_find(user=coordinator, query="Higinbotom") == [patient]


def test_the_closest_names_come_first_and_any_word_may_match(coordinator, teams):
    exact = factories.PatientFactory(given_name="Edna", family_name="Ashworth")
    family_only = factories.PatientFactory(given_name="Doris", family_name="Ashwerth")
    given_only = factories.PatientFactory(given_name="Edna", family_name="Okonkwo")
    factories.PatientFactory(given_name="Stanley", family_name="Pemberton")
    found = selectors.patient_find(user=coordinator, query="edna ashworth")
    assert found[0] == exact
    assert set(found) == {exact, family_only, given_only}


def test_a_likely_duplicate_is_found_by_a_similar_name_on_the_same_birthday(db, teams):
    born = datetime.date(1938, 5, 1)
    existing = factories.PatientFactory(given_name="Edna", family_name="Ashworth", date_of_birth=born)
    factories.PatientFactory(given_name="Edna", family_name="Ashworth", date_of_birth=datetime.date(1940, 1, 2))
    found = selectors.likely_duplicates(given_name="Edna", family_name="Ashwort", date_of_birth=born)
    assert list(found) == [existing]
