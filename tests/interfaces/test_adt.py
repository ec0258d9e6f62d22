"""The hospital's ADT feed: real MLLP frames to a listener started here (and the HTTP endpoint), every event it
takes, duplicates, messages out of order, an unknown ward, a bad NHS number and messages that are not HL7; the ACK,
the stays and ward stays that result, and the audit rows."""

import datetime
import random

import pytest
from django.conf import settings
from django.utils import timezone

from caseload.models import Patient
from discharge.models import Spell, WardStay
from interfaces import adt, replay
from interfaces.models import AdtMessage, Outcome
from interfaces.replay import ack_code, running_listener
from ocit.identifiers import synthetic_nhs_numbers
from ocit.models import ChangeLog
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listener():
    """The MLLP listener on a free port, in its own thread and event loop, as `manage.py adt_listener` runs it."""
    with running_listener() as port:
        yield port


def send(port, *messages):
    """Frame each message, send them down one connection, and read an ACK for each."""
    answers = [answer for answer, _ in replay.send_all(messages, port)]
    return answers if len(answers) > 1 else answers[0]


def err(answer):
    return next((line for line in answer.split("\r") if line.startswith("ERR")), "")


def message(event, control_id, *, visit="V1001", ward="W31", nhs_number="9990000018", at=None, destination="",
            postcode="CV6 4DD", family="SMITH", given="ADA", born="19400102", phone=""):  # fmt: skip
    person = (family, given, datetime.datetime.strptime(born, "%Y%m%d").date(), postcode)
    at = at or timezone.now() - datetime.timedelta(hours=2)
    return replay.adt_message(
        event, control_id, visit=visit, ward=ward, nhs_number=nhs_number, at=at, person=person,
        destination=destination, phone=phone,
    )  # fmt: skip


@pytest.fixture
def wards():
    return {code: factories.WardFactory(code=code, name=f"Ward {code}") for code in ("W31", "W32")}


@pytest.fixture
def nhs_number():
    return next(factories._nhs_numbers)


def test_an_admission_transfer_and_discharge_over_mllp(listener, wards, teams, nhs_number):
    at = timezone.now() - datetime.timedelta(hours=6)
    answer = send(listener, message("A01", "M1", nhs_number=nhs_number, at=at))
    assert ack_code(answer) == "AA" and "MSA|AA|M1" in answer
    spell = Spell.objects.get(visit_number="V1001")
    patient = Patient.objects.get(nhs_number=nhs_number)
    assert spell.patient == patient and patient.family_name == "Smith" and patient.team is not None
    assert spell.ward == wards["W31"] and abs(spell.admitted_at - at) < datetime.timedelta(seconds=1)

    transfer = message("A02", "M2", nhs_number=nhs_number, ward="W32", at=at + datetime.timedelta(hours=1))
    assert ack_code(send(listener, transfer)) == "AA"
    assert list(WardStay.objects.filter(spell=spell).order_by("started_at").values_list("ward__code", flat=True)) == [
        "W31",
        "W32",
    ]
    died = message(
        "A03", "M3", nhs_number=nhs_number, ward="W32", destination="79", at=at + datetime.timedelta(hours=3)
    )
    assert ack_code(send(listener, died)) == "AA"
    spell.refresh_from_db()
    assert spell.discharged_at is not None and spell.destination == "died"

    feed = adt.feed_user()
    assert ChangeLog.objects.filter(actor=feed, object_type="discharge.spell", object_id=str(spell.pk)).count() >= 3
    assert ChangeLog.objects.filter(actor=feed, object_type="caseload.patient", object_id=str(patient.pk)).exists()
    assert list(AdtMessage.objects.order_by("id").values_list("control_id", "outcome")) == [
        ("M1", Outcome.APPLIED),
        ("M2", Outcome.APPLIED),
        ("M3", Outcome.APPLIED),
    ]


def test_a_message_sent_twice_is_acknowledged_twice_and_applied_once(listener, wards, teams, nhs_number):
    first, again = send(
        listener, message("A01", "DUP1", nhs_number=nhs_number), message("A01", "DUP1", nhs_number=nhs_number)
    )
    assert ack_code(first) == ack_code(again) == "AA" and "MSA|AA|DUP1" in again
    assert Spell.objects.count() == 1 and AdtMessage.objects.count() == 1


def test_a_discharge_before_its_admission_waits_and_is_applied_after_it(listener, wards, teams, nhs_number):
    at = timezone.now() - datetime.timedelta(hours=5)
    early = message("A03", "OOO2", nhs_number=nhs_number, destination="79", at=at + datetime.timedelta(hours=2))
    assert ack_code(send(listener, early)) == "AA"
    assert AdtMessage.objects.get(control_id="OOO2").outcome == Outcome.WAITING
    assert ack_code(send(listener, message("A01", "OOO1", nhs_number=nhs_number, at=at))) == "AA"
    spell = Spell.objects.get(visit_number="V1001")
    assert spell.discharged_at is not None and AdtMessage.objects.get(control_id="OOO2").outcome == Outcome.APPLIED

    # An update after the discharge changes the person's details, not the stay.
    late = message("A08", "OOO3", nhs_number=nhs_number, phone="024 7600 1234", at=at + datetime.timedelta(hours=3))
    assert ack_code(send(listener, late)) == "AA"
    assert Patient.objects.get(nhs_number=nhs_number).phone == "024 7600 1234"
    assert Spell.objects.get(pk=spell.pk).discharged_at == spell.discharged_at


def test_an_unknown_ward_is_refused_then_applied_once_mapped(listener, wards, teams, nhs_number):
    answer = send(listener, message("A01", "UW1", nhs_number=nhs_number, ward="AMU9"))
    assert ack_code(answer) == "AE" and err(answer).startswith("ERR|||103|E")
    stored = AdtMessage.objects.get(control_id="UW1")
    assert stored.outcome == Outcome.FAILED and "Unknown ward AMU9" in stored.error and not Spell.objects.exists()
    factories.WardFactory(code="AMU9", name="Acute medical unit")
    assert adt.process_again(stored).outcome == Outcome.APPLIED
    assert Spell.objects.get().ward.code == "AMU9"


def test_a_bad_nhs_number_a_malformed_message_and_other_message_types_are_refused(listener, wards, teams):
    bad = send(listener, message("A01", "BAD1", nhs_number="9990000019"))
    assert ack_code(bad) == "AE" and "not a valid NHS number" in err(bad)
    garbled = send(listener, "this is not HL7 at all")
    assert ack_code(garbled) == "AR" and "Not an HL7 v2 message" in err(garbled)
    lab = message("A01", "ORU1").replace("ADT^A01^ADT_A01", "ORU^R01")
    assert ack_code(send(listener, lab)) == "AR"
    assert not Spell.objects.exists() and not Patient.objects.exists()
    assert list(AdtMessage.objects.values_list("control_id", "outcome")) == [("BAD1", Outcome.FAILED)]


def test_a_known_patient_whose_details_differ_is_flagged_not_merged(listener, wards, teams):
    patient = factories.PatientFactory(family_name="Jones", given_name="Ada")
    answer = send(listener, message("A01", "FL1", nhs_number=patient.nhs_number, family="SMITH"))
    assert ack_code(answer) == "AA"
    stored = AdtMessage.objects.get(control_id="FL1")
    assert "family name Smith (record: Jones)" in stored.flag
    patient.refresh_from_db()
    assert patient.family_name == "Jones" and Spell.objects.get().patient == patient


def test_outpatient_and_pre_admission_messages_are_taken_and_not_needed(listener, wards, teams, nhs_number):
    assert ack_code(send(listener, message("A04", "OP1", nhs_number=nhs_number))) == "AA"
    assert ack_code(send(listener, message("A05", "PA1", nhs_number=nhs_number))) == "AA"
    assert set(AdtMessage.objects.values_list("outcome", flat=True)) == {Outcome.IGNORED}
    assert not Spell.objects.exists()


def test_the_http_endpoint_takes_the_interface_account_only(client, wards, teams, coordinator, nhs_number):
    body = message("A01", "HTTP1", nhs_number=nhs_number)
    client.force_login(coordinator)
    assert client.post("/api/v1/hl7/", body, content_type="application/hl7-v2").status_code == 403
    client.force_login(adt.feed_user())
    response = client.post("/api/v1/hl7/", body, content_type="application/hl7-v2")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/hl7-v2")
    assert ack_code(response.content.decode()) == "AA"
    assert Spell.objects.get().visit_number == "V1001"
    assert AdtMessage.objects.get().transport == "http"


def test_the_feed_account_cannot_use_the_pages(client):
    client.force_login(adt.feed_user())
    assert client.get("/").status_code == 403
    assert not adt.feed_user().has_usable_password()
    assert adt.feed_user().email == settings.ADT_FEED_EMAIL


def test_cancelling_a_transfer_a_discharge_and_an_admission(listener, wards, teams, nhs_number):
    at = timezone.now() - datetime.timedelta(hours=8)
    hour = datetime.timedelta(hours=1)
    answers = send(
        listener,
        message("A01", "C1", nhs_number=nhs_number, at=at),
        message("A02", "C2", nhs_number=nhs_number, ward="W32", at=at + hour),
        message("A12", "C3", nhs_number=nhs_number, ward="W31", at=at + 2 * hour),
        message("A03", "C4", nhs_number=nhs_number, destination="51", at=at + 3 * hour),
        message("A13", "C5", nhs_number=nhs_number, at=at + 4 * hour),
    )
    assert [ack_code(answer) for answer in answers] == ["AA"] * 5, answers
    spell = Spell.objects.get(visit_number="V1001")
    assert spell.ward.code == "W31" and spell.discharged_at is None and spell.destination == ""
    assert list(spell.ward_stays.values_list("ward__code", "ended_at")) == [("W31", None)]

    assert ack_code(send(listener, message("A11", "C6", nhs_number=nhs_number, at=at + 5 * hour))) == "AA"
    assert not Spell.objects.exists() and not WardStay.objects.exists()
    assert ChangeLog.objects.filter(object_type="discharge.spell", action="delete", reason="ADT A11 C6").exists()
    assert AdtMessage.objects.get(control_id="C1").visit_number == "V1001"  # the messages stay


def test_a_cancel_the_system_cannot_apply_on_its_own_asks_a_person(listener, wards, teams, nhs_number, coordinator):
    send(listener, message("A01", "K1", nhs_number=nhs_number))
    spell = Spell.objects.get()
    factories.NctrPeriodFactory(spell=spell)
    answer = send(listener, message("A11", "K2", nhs_number=nhs_number))
    assert ack_code(answer) == "AE" and "A person must decide" in err(answer)
    assert Spell.objects.filter(pk=spell.pk).exists()


def test_a_day_replayed_fills_the_ward_board_and_shows_what_a_real_feed_sends(listener, wards, teams):
    messages = replay.day_of_messages(
        rng=random.Random(7),
        nhs_numbers=synthetic_nhs_numbers(start=950_000),
        wards=["W31", "W32"],
        postcodes=["CV6 4DD"],
        since=timezone.now() - datetime.timedelta(hours=10),
        until=timezone.now(),
        admissions=12,
    )
    codes = [ack_code(answer) for answer, _ in replay.send_all(messages, listener)]
    assert codes.count("AE") == 1 and set(codes) == {"AA", "AE"}  # the one unmapped ward
    assert Spell.objects.count() == 12
    assert AdtMessage.objects.filter(outcome=Outcome.WAITING).count() == 0  # the early A03 was applied after its A01
    assert AdtMessage.objects.count() == len(messages) - 1  # the duplicate is stored once
