"""HL7 v2 ADT from the hospital's patient administration system: read a message (python-hl7), store it once, apply
it through the same services a person's change goes through (the same rules and audit, as the feed's account),
and answer with an ACK: AA applied (or held, or not needed), AE a person must act, AR not a message we can read.

Events: A01 admit, A02 transfer, A03 discharge, A08 update, A11/A12/A13 cancel the admission, transfer or
discharge; A04 and A05 are taken and not needed. Fields read: MSH-9 type, MSH-10 control id; EVN-2 when it
happened; PID-3 the NHS number (identifier type NH), PID-5 name, PID-7 birth, PID-8 sex, PID-11 address and
postcode, PID-13 phone; PV1-3.1 ward, PV1-19 visit number, PV1-36 discharge destination, PV1-44/45 admitted and
discharged. A message about a visit whose A01 has not arrived yet waits, and is applied straight after it, in
event order.
"""

import datetime
from dataclasses import dataclass

import hl7
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from caseload import services as caseload_services
from caseload.models import Patient, Sex
from discharge import services as discharge_services
from discharge.models import Destination, Spell, Ward
from interfaces.models import AdtMessage, Outcome
from ocit.errors import Conflict
from ocit.identifiers import normalise_nhs_number
from ocit.models import Role, User
from referrals import services as referral_services

APPLIED = {"A01", "A02", "A03", "A08", "A11", "A12", "A13"}
NOT_NEEDED = {"A04": "A04 registers an outpatient: not a hospital stay.", "A05": "A05 pre-admits: wait for the A01."}

# PV1-36, NHS Data Dictionary "discharge destination" codes, to the stay's destination.
DESTINATIONS = {
    "19": Destination.USUAL_RESIDENCE,
    "54": Destination.CARE_HOME,
    "65": Destination.CARE_HOME,
    "85": Destination.CARE_HOME,
    "79": Destination.DIED,
    **dict.fromkeys(["49", "50", "51", "52", "53", "84", "87"], Destination.OTHER_HOSPITAL),
}
SEXES = {"M": Sex.MALE, "F": Sex.FEMALE}

# HL7 table 0357, message error condition codes, for the ERR segment.
BAD_VALUE, UNKNOWN_CODE, UNSUPPORTED_EVENT, APPLICATION_ERROR = "102", "103", "201", "207"


class Refused(Exception):
    """Not an ADT message we can read (ACK AR)."""

    def __init__(self, text, code="100"):
        super().__init__(text)
        self.code = code


class Failed(Exception):
    """Read, but not applied: a person must act (ACK AE)."""

    def __init__(self, text, code=APPLICATION_ERROR):
        super().__init__(text)
        self.code = code


class Held(Exception):
    """Arrived before its visit's A01: applied when that comes."""


class NotNeeded(Exception):
    """Nothing to change (ACK AA)."""


def feed_user():
    """The account the feed acts as: every change it makes is audited under it. It cannot sign in to the pages."""
    user, created = User.objects.get_or_create(
        email=settings.ADT_FEED_EMAIL,
        defaults={"full_name": "UHCW ADT feed", "role": Role.INTERFACE},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def moment(text):
    """An HL7 TS (YYYYMMDDHHMM[SS][+ZZZZ]) as an instant; without an offset it is the hospital's local time."""
    if not text:
        return None
    try:
        value = hl7.parse_datetime(text)
    except ValueError as error:
        raise Failed(f"{text!r} is not an HL7 date and time.", BAD_VALUE) from error
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(datetime.UTC)


@dataclass
class Read:
    control_id: str
    event: str
    message: hl7.Message

    def field(self, segment, field, component=1, repeat=1):
        try:
            return str(self.message.extract_field(segment, 1, field, repeat, component)).strip()
        except (KeyError, IndexError):
            return ""

    @property
    def event_at(self):
        return moment(self.field("EVN", 2)) or moment(self.field("MSH", 7))

    @property
    def visit_number(self):
        return self.field("PV1", 19)[:20]

    @property
    def ward_code(self):
        return self.field("PV1", 3)[:16]

    def nhs_number(self):
        """PID-3's identifier of type NH, checked (Mod 11)."""
        try:
            identifiers = self.message.segment("PID")[3]
        except (KeyError, IndexError):
            raise Failed("There is no PID segment.", "101") from None
        for repeat in identifiers if isinstance(identifiers, hl7.Field) else [identifiers]:
            parts = [str(part) for part in repeat] if isinstance(repeat, hl7.Repetition) else [str(repeat)]
            if len(parts) >= 5 and parts[4] == "NH":
                try:
                    return normalise_nhs_number(parts[0])
                except ValidationError:
                    raise Failed(f"PID-3: {parts[0]!r} is not a valid NHS number.", BAD_VALUE) from None
        raise Failed("PID-3 has no NHS number (identifier type NH).", "101")

    def demographics(self):
        birth = self.field("PID", 7)[:8]
        try:
            born = datetime.datetime.strptime(birth, "%Y%m%d").date() if birth else None
        except ValueError:
            raise Failed(f"PID-7: {birth!r} is not a date of birth.", BAD_VALUE) from None
        street = ", ".join(part for part in (self.field("PID", 11, 1), self.field("PID", 11, 3)) if part)
        return {
            "family_name": self.field("PID", 5, 1).title(),
            "given_name": self.field("PID", 5, 2).title(),
            "date_of_birth": born,
            "sex": SEXES.get(self.field("PID", 8), Sex.UNKNOWN),
            "address": street,
            "postcode": self.field("PID", 11, 5),
            "phone": self.field("PID", 13)[:30],
        }


def _segments(raw):
    """HL7 separates segments with CR; engines and people send LF or CRLF too."""
    return raw.replace("\r\n", "\r").replace("\n", "\r").strip()


def read(raw):
    try:
        message = hl7.parse(_segments(raw))
        kind, event = str(message.extract_field("MSH", 1, 9, 1, 1)), str(message.extract_field("MSH", 1, 9, 1, 2))
        control_id = str(message.extract_field("MSH", 1, 10)).strip()
    except (hl7.ParseException, KeyError, IndexError, ValueError) as error:
        raise Refused(f"Not an HL7 v2 message: {error}") from error
    if not control_id:
        raise Refused("MSH-10 (the message control id) is empty.", "101")
    if kind != "ADT":
        raise Refused(f"Only ADT messages are taken, not {kind or 'an empty MSH-9'}.", "200")
    return Read(control_id=control_id[:50], event=event.upper()[:3], message=message)


# Acknowledgements -----------------------------------------------------------------------------------


def _stamp():
    return timezone.localtime().strftime("%Y%m%d%H%M%S")


def ack(raw, code, text="", error_code=APPLICATION_ERROR):
    """An ACK for `raw`: MSH and MSA, and an ERR segment when it was not applied."""
    try:
        message = hl7.parse(_segments(raw))
        answer = str(message.create_ack(code, application="OCIT", facility="OCIT")).rstrip("\r")
    except Exception:  # unreadable: an ACK of our own, naming no message
        answer = f"MSH|^~\\&|OCIT|OCIT|||{_stamp()}||ACK|{hl7.generate_message_control_id()}|P|2.4\rMSA|{code}|"
    if code != "AA" and text:
        clean = text.replace("|", "/").replace("^", "/").replace("~", "-").replace("\\", "/").replace("&", "and")
        answer += f"\rERR|||{error_code}|E||||{clean[:250]}"
    return answer + "\r"


# Receiving -----------------------------------------------------------------------------------------------


def receive(raw, *, transport, actor=None):
    """Store `raw` once and apply it; the ACK to send back. A control id seen before gets its first answer again
    without being applied twice (a copy arriving at the same moment waits for the first)."""
    actor = actor or feed_user()
    try:
        parsed = read(raw)
    except Refused as refused:
        return ack(raw, "AR", str(refused), refused.code)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = AdtMessage.objects.create(
                    control_id=parsed.control_id,
                    event=parsed.event,
                    raw=raw,
                    transport=transport,
                    outcome=Outcome.APPLIED,
                )
        except IntegrityError:
            row = AdtMessage.objects.get(control_id=parsed.control_id)
            return ack(raw, row.ack_code, row.error)
        apply(row, parsed, actor)
    if row.outcome == Outcome.APPLIED and row.event == "A01":
        for waiting in AdtMessage.objects.filter(visit_number=row.visit_number, outcome=Outcome.WAITING).order_by(
            "event_at", "id"
        ):
            process_again(waiting, actor=actor)
    return ack(raw, row.ack_code, row.error, getattr(row, "error_code", APPLICATION_ERROR))


def process_again(row, *, actor=None):
    """Apply a stored message again (a waiting one after its A01; a failed one after a person fixed the cause)."""
    with transaction.atomic():
        row = AdtMessage.objects.select_for_update().get(pk=row.pk)
        row.attempts += 1
        row.error = row.flag = ""
        row.changes = []
        apply(row, read(row.raw), actor or feed_user())
    return row


def apply(row, parsed, actor):
    row.event = parsed.event
    row.visit_number = parsed.visit_number
    row.ward_code = parsed.ward_code
    row.outcome = Outcome.APPLIED
    try:
        row.event_at = parsed.event_at
        if parsed.event in NOT_NEEDED:
            raise NotNeeded(NOT_NEEDED[parsed.event])
        if parsed.event not in APPLIED:
            raise Failed(f"{parsed.event or 'An empty event'} is not an event this system takes.", UNSUPPORTED_EVENT)
        with transaction.atomic():  # a change that fails part way leaves nothing behind
            HANDLERS[parsed.event](row, parsed, actor)
    except NotNeeded as reason:
        row.outcome, row.error = Outcome.IGNORED, str(reason)
    except Held:
        row.outcome, row.error = Outcome.WAITING, f"Waiting for the A01 of visit {row.visit_number}."
    except Failed as failed:
        row.outcome, row.error, row.error_code = Outcome.FAILED, str(failed), failed.code
    except (ValidationError, Conflict) as refused:
        row.outcome, row.error = Outcome.FAILED, _message(refused)
    row.save()


def _message(error):
    if isinstance(error, Conflict):
        return error.message
    if hasattr(error, "message_dict"):
        return " ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)


# What each event does -------------------------------------------------------------------------------------


def _patient(row, parsed, actor):
    """The patient with PID-3's NHS number, or a new one from PID; PID that differs from the record is flagged."""
    nhs_number = parsed.nhs_number()
    row.nhs_number = nhs_number
    values = parsed.demographics()
    patient = Patient.objects.filter(nhs_number=nhs_number).first()
    if patient is None:
        if not values["postcode"] or caseload_services.team_for_postcode(values["postcode"]) is None:
            raise NotNeeded(f"Lives outside the Coventry LITs' areas ({values['postcode'] or 'no postcode'}).")
        if not (values["family_name"] and values["given_name"] and values["date_of_birth"]):
            raise Failed("PID-5 and PID-7: a new patient needs a name and a date of birth.", "101")
        patient = caseload_services.patient_create(actor=actor, values={"nhs_number": nhs_number, **values})
        row.changes.append(f"New patient {patient.full_name} from PID")
    else:
        differs = [
            f"{label} {theirs} (record: {ours})"
            for label, theirs, ours in (
                ("family name", values["family_name"], patient.family_name),
                ("given name", values["given_name"], patient.given_name),
                ("date of birth", values["date_of_birth"], patient.date_of_birth),
            )
            if theirs and str(theirs).lower() != str(ours).lower()
        ]
        if differs:
            row.flag = "PID differs from the record, not merged: " + "; ".join(differs) + "."
    row.patient = patient
    return patient


def _ward(parsed):
    ward = Ward.objects.filter(code=parsed.ward_code).first()
    if ward is None:
        raise Failed(
            f"Unknown ward {parsed.ward_code or '(empty PV1-3)'}: add it, or give an existing ward this code, "
            "then process the message again.",
            UNKNOWN_CODE,
        )
    return ward


def _visit_number(parsed):
    if not parsed.visit_number:
        raise Failed("PV1-19 (the visit number) is empty.", "101")
    return parsed.visit_number


def _spell(row, parsed):
    spell = Spell.objects.filter(visit_number=_visit_number(parsed)).first()
    if spell is None:
        raise Held
    row.spell = spell
    return spell


def admit(row, parsed, actor):
    if Spell.objects.filter(visit_number=_visit_number(parsed)).exists():
        raise NotNeeded(f"Visit {parsed.visit_number} is already admitted.")
    ward = _ward(parsed)
    patient = _patient(row, parsed, actor)
    admitted_at = moment(parsed.field("PV1", 44)) or parsed.event_at
    row.spell = discharge_services.spell_admit(
        actor=actor, patient=patient, ward=ward, admitted_at=admitted_at, visit_number=parsed.visit_number
    )
    row.changes.append(f"Admitted to {ward.name}")


def transfer(row, parsed, actor):
    spell = _spell(row, parsed)
    row.patient = spell.patient
    if spell.discharged_at is not None:
        raise NotNeeded("The stay is already discharged.")
    ward = _ward(parsed)
    if ward.pk == spell.ward_id:
        raise NotNeeded(f"Already on {ward.name}.")
    discharge_services.spell_transfer(actor=actor, spell=spell, ward=ward, at=parsed.event_at)
    row.changes.append(f"Moved to {ward.name}")


def discharge(row, parsed, actor):
    spell = _spell(row, parsed)
    row.patient = spell.patient
    if spell.discharged_at is not None:
        raise NotNeeded("The stay is already discharged.")
    destination = DESTINATIONS.get(parsed.field("PV1", 36), Destination.OTHER)
    discharged_at = moment(parsed.field("PV1", 45)) or parsed.event_at
    pathway = spell.pathway if destination not in (Destination.DIED, Destination.OTHER_HOSPITAL) else None
    try:
        referral_services.discharge_record(
            actor=actor, spell=spell, discharged_at=discharged_at, destination=destination, pathway=pathway
        )
    except ValidationError as invalid:
        raise Failed(
            f"The discharge to '{Destination(destination).label.lower()}' needs the stay's pathway, which the LIT "
            f"has not recorded ({_message(invalid)}): record the discharge on the ward board.",
        ) from None
    row.changes.append(f"Discharged to {Destination(destination).label.lower()}")


def update(row, parsed, actor):
    """A08: the patient's contact details from PID (names and birth are flagged if they differ, never merged)."""
    patient = _patient(row, parsed, actor)
    if parsed.visit_number:
        row.spell = Spell.objects.filter(visit_number=parsed.visit_number).first()
    values = parsed.demographics()
    changed = {name: values[name] for name in ("address", "postcode", "phone") if values[name]}
    changed = {name: value for name, value in changed.items() if value != getattr(patient, name)}
    if not changed:
        if not row.flag:
            raise NotNeeded("Nothing the record does not already say.")
        return
    caseload_services.patient_update(
        actor=actor, patient=patient, version=patient.version, values=changed, reason=f"ADT A08 {row.control_id}"
    )
    row.changes.append("Updated " + ", ".join(sorted(changed)))


def cancel_admit(row, parsed, actor):
    spell = _spell(row, parsed)
    row.patient = spell.patient
    discharge_services.spell_cancel_admission(actor=actor, spell=spell, reason=f"ADT A11 {row.control_id}")
    row.spell = None
    row.changes.append(f"Admission of visit {parsed.visit_number} cancelled")


def cancel_transfer(row, parsed, actor):
    """A12: PV1-3 is the ward the patient stays on (the one they were moved from)."""
    spell = _spell(row, parsed)
    row.patient = spell.patient
    ward = _ward(parsed)
    discharge_services.spell_cancel_transfer(actor=actor, spell=spell, ward=ward, reason=f"ADT A12 {row.control_id}")
    row.changes.append(f"Transfer cancelled: back on {ward.name}")


def cancel_discharge(row, parsed, actor):
    spell = _spell(row, parsed)
    row.patient = spell.patient
    discharge_services.spell_cancel_discharge(actor=actor, spell=spell, reason=f"ADT A13 {row.control_id}")
    row.changes.append("Discharge cancelled: in hospital again")


HANDLERS = {
    "A01": admit,
    "A02": transfer,
    "A03": discharge,
    "A08": update,
    "A11": cancel_admit,
    "A12": cancel_transfer,
    "A13": cancel_discharge,
}
