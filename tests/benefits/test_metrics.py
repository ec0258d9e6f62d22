"""Each metric of the catalogue on a small data set whose figures are worked out here by hand.

The service goes live on Monday 3 March 2025 (the first imported figure, see `go_live`), and the
recompute runs on Wednesday 2 April 2025: the complete periods are the weeks of 3, 10, 17 and 24 March
(Monday to Sunday) and the month of March. Times are Europe/London; summer time starts on Sunday
30 March at 01:00 UTC. Every test runs on whichever database the suite uses (SQLite or PostgreSQL).
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pytest import approx

from benefits import metrics, services
from benefits.models import Assumption, ExternalMeasure, MetricValue
from caseload.models import PackageStage, Sequel, Service, Source, Team
from discharge.models import AdmissionMethod
from referrals.models import ReferralStatus
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TODAY = datetime.date(2025, 4, 2)  # a Wednesday: the week of 31 March and April are not complete
W1, W2, W3, W4 = (datetime.date(2025, 3, day) for day in (3, 10, 17, 24))  # the complete weeks
MARCH = datetime.date(2025, 3, 1)
NH, OC, TH = "newfield-house", "opal-centre", "tile-hill"


def at(day, hour=12, minute=0):
    """A moment in London on a day of March 2025 (or a full date)."""
    day = day if isinstance(day, datetime.date) else datetime.date(2025, 3, day)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def march(day):
    return datetime.date(2025, 3, day)


@pytest.fixture(autouse=True)
def go_live(db):
    """The first record of all: ED attendances on Monday 3 March, so every calendar starts that week."""
    ExternalMeasure.objects.create(measure="ed_attendances", on=march(3), value=Decimal(400))


def recompute():
    return services.recompute(trigger="command", full=True, today=TODAY)


def figures(metric, period, lit=None):
    """{period_start: (value, records)} for all of OCIT, or for one LIT."""
    rows = MetricValue.objects.filter(metric=metric, period=period)
    rows = rows.filter(team__code=lit) if lit else rows.filter(team__isnull=True)
    return {row.period_start: (row.value, row.records) for row in rows}


def weeks(*figures):
    """The four complete weeks in order; each figure a (value, records) pair."""
    return dict(zip((W1, W2, W3, W4), figures, strict=True))


def patient(lit=NH, **kwargs):
    return factories.PatientFactory(team=factories.teams()[lit], **kwargs)


def moment(value):
    """A datetime as given, or noon on that day of March."""
    return value if isinstance(value, datetime.datetime) else at(value)


def closed_episode(patient, closed, *, sequel=Sequel.NO_ONGOING_SUPPORT, received=None, **kwargs):
    closed_at = moment(closed)
    received_at = received or closed_at - datetime.timedelta(days=1)
    return factories.EpisodeFactory(
        patient=patient, received_at=received_at, closed_at=closed_at, sequel=sequel, **kwargs
    )


def spell(patient, admitted, discharged=None, **kwargs):
    return factories.SpellFactory(
        patient=patient, admitted_at=moment(admitted), discharged_at=discharged and moment(discharged), **kwargs
    )


def referred(spell, status=ReferralStatus.COMPLETED):
    """Mark a spell as referred to OCIT (by default a completed ward referral from it: OCIT took it on)."""
    factories.ReferralFactory(
        patient=spell.patient,
        spell=spell,
        source=Source.WARD,
        received_at=spell.admitted_at + datetime.timedelta(hours=2),
        status=status,
    )
    return spell


# Front door pressure --------------------------------------------------------------------------------


def test_admissions_avoided_counts_people_at_risk_of_admission_not_admitted_within_7_days_of_ending():
    # Avoided (by the week the episode ended):
    avoided_w1 = patient()
    closed_episode(avoided_w1, at(7), service=Service.STEP_UP_REABLEMENT, source=Source.FRONT_DOOR)
    spell(avoided_w1, at(15), at(16))  # emergency admission 8 days after it ended: too late to count against it
    avoided_w2 = patient()
    closed_episode(avoided_w2, 12, service=Service.UCR, source=Source.AMBULANCE)
    spell(avoided_w2, 13, 14, admission_method=AdmissionMethod.ELECTIVE)  # elective: not an emergency
    avoided_w3 = patient(OC)
    spell(avoided_w3, at(3, 8), at(4, 10))  # admitted before the referral: not against the episode
    closed_episode(avoided_w3, 18, received=at(4, 12), service=Service.STEP_UP_REABLEMENT, source=Source.FRONT_DOOR)
    # A GP's referral for therapy at home is not an admission avoided: nobody was at the hospital's door.
    closed_episode(patient(), 12, service=Service.THERAPY_AT_HOME, source=Source.GP)
    # Not avoided:
    readmitted = patient()
    closed_episode(readmitted, at(6), service=Service.UCR, source=Source.GP)
    spell(readmitted, at(11), at(12))  # emergency admission 5 days after the episode ended
    admitted_during = patient()
    closed_episode(admitted_during, 19, sequel=Sequel.ADMITTED_TO_HOSPITAL, received=at(17, 10))
    spell(admitted_during, 18)
    closed_episode(patient(), 12, service=Service.UCR, source=Source.WARD)  # from a ward: step-down, not step-up
    closed_episode(patient(), 12, service=Service.STEP_DOWN_REABLEMENT, source=Source.SELF)  # not step-up
    factories.EpisodeFactory(patient=patient(), received_at=at(20), service=Service.UCR)  # still open

    recompute()

    # Weeks: W1 1 (ended 7 Mar), W2 1 (ended 12 Mar), W3 1 (ended 18 Mar), W4 none; March 1 + 1 + 1 = 3.
    assert figures("admissions_avoided", "week") == weeks((1, 1), (1, 1), (1, 1), (0, 0))
    assert figures("admissions_avoided", "month") == {MARCH: (3, 3)}
    # Newfield House had the first two; Opal Centre the third; Tile Hill none (0, not missing).
    assert figures("admissions_avoided", "week", NH) == weeks((1, 1), (1, 1), (0, 0), (0, 0))
    assert figures("admissions_avoided", "month", NH) == {MARCH: (2, 2)}
    assert figures("admissions_avoided", "week", OC) == weeks((0, 0), (0, 0), (1, 1), (0, 0))
    assert figures("admissions_avoided", "month", OC) == {MARCH: (1, 1)}
    assert figures("admissions_avoided", "week", TH) == weeks((0, 0), (0, 0), (0, 0), (0, 0))


def test_front_door_redirections_count_accepted_front_door_referrals_by_the_day_of_the_decision():
    def referral(status, received, decided, source=Source.FRONT_DOOR, lit=NH):
        factories.ReferralFactory(
            patient=patient(lit), source=source, status=status, received_at=received, decided_at=decided
        )

    referral(ReferralStatus.ACCEPTED, at(5, 9), at(5, 10))  # W1
    referral(ReferralStatus.COMPLETED, at(9, 22), at(10, 9), lit=OC)  # received W1, decided W2: counts in W2
    referral(ReferralStatus.DECLINED, at(11, 9), at(11, 10))  # not accepted
    referral(ReferralStatus.REDIRECTED, at(12, 9), at(12, 10))  # sent elsewhere, not taken on
    referral(ReferralStatus.RECEIVED, at(12, 9), None)  # not decided yet
    referral(ReferralStatus.ACCEPTED, at(12, 9), at(12, 10), source=Source.GP)  # not from the front door
    referral(ReferralStatus.ACCEPTED, at(30, 9), at(31, 10))  # in March, but its week is not complete
    referral(ReferralStatus.ACCEPTED, at(31, 9), at(datetime.date(2025, 4, 1), 10))  # April: not complete

    recompute()

    assert figures("front_door_redirections", "week") == weeks((1, 1), (1, 1), (0, 0), (0, 0))
    assert figures("front_door_redirections", "month") == {MARCH: (3, 3)}
    assert figures("front_door_redirections", "week", OC) == weeks((0, 0), (1, 1), (0, 0), (0, 0))


# Ambulance turnaround -------------------------------------------------------------------------------


def test_conveyances_avoided_counts_ambulance_ucr_episodes_with_no_emergency_admission_within_24_hours():
    def ambulance_ucr(received, **kwargs):
        person = patient()
        factories.EpisodeFactory(
            patient=person, received_at=received, service=Service.UCR, source=Source.AMBULANCE, **kwargs
        )
        return person

    conveyed = ambulance_ucr(at(4, 10))
    spell(conveyed, at(5, 9))  # admitted 23 hours after the referral: conveyed
    later = ambulance_ucr(at(4, 10))
    spell(later, at(5, 11))  # admitted 25 hours after: the conveyance was avoided
    ambulance_ucr(at(11, 10), first_contact_at=at(11, 11))  # never admitted: avoided
    factories.EpisodeFactory(patient=patient(), received_at=at(11), service=Service.UCR, source=Source.GP)
    factories.EpisodeFactory(
        patient=patient(), received_at=at(11), service=Service.STEP_UP_REABLEMENT, source=Source.AMBULANCE
    )

    recompute()

    # By the week the referral came in: W1 one of two (the 25-hour one), W2 one.
    assert figures("conveyances_avoided", "week") == weeks((1, 1), (1, 1), (0, 0), (0, 0))
    assert figures("conveyances_avoided", "month") == {MARCH: (2, 2)}


def test_ambulance_handover_minutes_is_the_mean_of_the_imported_days_for_all_of_ocit():
    for day, minutes in ((3, 30), (4, 40), (5, 20), (10, 50)):
        ExternalMeasure.objects.create(measure="ambulance_handover_minutes", on=march(day), value=minutes)
    ExternalMeasure.objects.create(measure="bed_occupancy", on=march(4), value=99)  # another measure
    ExternalMeasure.objects.create(measure="ed_attendances", on=march(9), value=350)

    recompute()

    # W1 (30 + 40 + 20) / 3 = 30 from 3 days; W2 50 from 1 day; no figures imported after: no value.
    assert figures("ambulance_handover_minutes", "week") == {W1: (30, 3), W2: (50, 1)}
    # March: (30 + 40 + 20 + 50) / 4 = 35.
    assert figures("ambulance_handover_minutes", "month") == {MARCH: (35, 4)}
    assert not MetricValue.objects.filter(metric="ambulance_handover_minutes", team__isnull=False).exists()
    # ED attendances are added up: W1 400 (go-live) + 350 on Sunday 9 March.
    assert figures("ed_attendances", "week") == {W1: (750, 2)}
    assert figures("bed_occupancy", "month") == {MARCH: (99, 1)}


# Acute flow -----------------------------------------------------------------------------------------


def test_median_length_of_stay_is_of_spells_ocit_took_on_by_the_day_of_discharge():
    referred(spell(patient(), at(3, 10), at(10, 18)))  # 7 days, discharged W2
    referred(spell(patient(), at(6, 10), at(11, 9)))  # 5 days
    referred(spell(patient(OC), at(9, 22), at(12, 23, 30)))  # 3 days
    referred(spell(patient(OC), at(10, 8), at(12, 8)))  # 2 days
    referred(spell(patient(), at(12), at(20)))  # 8 days, discharged W3
    spell(patient(), at(5), at(11))  # not referred to OCIT
    referred(spell(patient(), at(5), at(11)), status=ReferralStatus.DECLINED)  # referred, but OCIT declined
    referred(spell(patient(), at(12)))  # still in hospital

    recompute()

    # W2: 2, 3, 5, 7 → (3 + 5) / 2 = 4; W3: 8. March: 2, 3, 5, 7, 8 → 5.
    assert figures("median_length_of_stay", "week") == {W2: (4, 4), W3: (8, 1)}
    assert figures("median_length_of_stay", "month") == {MARCH: (5, 5)}
    # Newfield House W2: 5, 7 → 6; Opal Centre W2: 2, 3 → 2.5. Newfield House March: 5, 7, 8 → 7.
    assert figures("median_length_of_stay", "week", NH) == {W2: (6, 2), W3: (8, 1)}
    assert figures("median_length_of_stay", "week", OC) == {W2: (2.5, 2)}
    assert figures("median_length_of_stay", "month", NH) == {MARCH: (7, 3)}


def test_discharge_delay_runs_from_the_start_of_the_last_nctr_period_to_discharge():
    def delayed(lit, admitted, discharged, *nctr):
        stay = spell(patient(lit), admitted, discharged)
        for started, ended in nctr:
            factories.NctrPeriodFactory(spell=stay, started_on=march(started), ended_on=ended and march(ended))

    delayed(NH, 3, 10, (4, 6), (8, None))  # met the criteria again on the 6th: ready on the 8th → 2 days (not 6)
    delayed(NH, 5, 12, (7, None))  # 5 days
    delayed(OC, 6, 11, (10, None))  # 1 day
    delayed(OC, 10, at(14, 18), (14, None))  # ready and discharged the same day: 0
    delayed(NH, 12, 19, (13, None))  # 6 days, discharged W3
    delayed(NH, 5, 12)  # never without criteria to reside: no ready date
    delayed(NH, 12, None, (13, None))  # still in hospital

    recompute()

    # W2: 2, 5, 1, 0 → mean 8 / 4 = 2, median (1 + 2) / 2 = 1.5. W3: 6.
    assert figures("mean_delay_days", "week") == {W2: (2, 4), W3: (6, 1)}
    assert figures("median_delay_days", "week") == {W2: (1.5, 4), W3: (6, 1)}
    # March: 2, 5, 1, 0, 6 → mean 14 / 5 = 2.8, median 2.
    assert figures("mean_delay_days", "month") == {MARCH: (approx(2.8), 5)}
    assert figures("median_delay_days", "month") == {MARCH: (2, 5)}
    # Newfield House March: 2, 5, 6 → mean 13 / 3, median 5; Opal Centre W2: 1, 0 → 0.5 both ways.
    assert figures("mean_delay_days", "month", NH) == {MARCH: (approx(13 / 3), 3)}
    assert figures("median_delay_days", "month", NH) == {MARCH: (5, 3)}
    assert figures("mean_delay_days", "week", OC) == {W2: (0.5, 2)}
    assert figures("median_delay_days", "week", OC) == {W2: (0.5, 2)}


def test_ward_referrals_within_24_hours_is_the_share_received_within_a_day_of_admission():
    def ward_referral(lit, admitted, received, source=Source.WARD, with_spell=True):
        person = patient(lit)
        stay = spell(person, admitted) if with_spell else None
        factories.ReferralFactory(patient=person, spell=stay, source=source, received_at=received)

    ward_referral(NH, at(3, 10), at(4, 9))  # 23 hours: within
    ward_referral(NH, at(3, 10), at(4, 11))  # 25 hours: not
    ward_referral(OC, at(10, 8), at(10, 20))  # 12 hours: within
    ward_referral(NH, None, at(11), with_spell=False)  # no spell to measure from
    ward_referral(NH, at(10, 8), at(10, 9), source=Source.GP)  # not from a ward

    recompute()

    # W1: 1 of 2 = 50%; W2: 1 of 1 = 100%; March: 2 of 3.
    assert figures("ward_referrals_within_24_hours", "week") == {W1: (50, 2), W2: (100, 1)}
    assert figures("ward_referrals_within_24_hours", "month") == {MARCH: (approx(200 / 3), 3)}
    assert figures("ward_referrals_within_24_hours", "month", NH) == {MARCH: (50, 2)}
    assert figures("ward_referrals_within_24_hours", "month", OC) == {MARCH: (100, 1)}


def test_nctr_patients_is_the_mean_daily_count_over_the_period():
    across = spell(patient(), 3)
    factories.NctrPeriodFactory(spell=across, started_on=march(8), ended_on=march(12))  # 8, 9 | 10, 11
    discharged = spell(patient(), 4, at(7, 15))
    factories.NctrPeriodFactory(spell=discharged, started_on=march(5))  # ends with the discharge: 5, 6
    waiting = spell(patient(OC), 20)
    factories.NctrPeriodFactory(spell=waiting, started_on=march(24))  # still waiting: 24 to the end of March

    recompute()

    # Patient-days: W1 2 (8th, 9th) + 2 (5th, 6th) = 4 over 7 days; W2 2 (10th, 11th); W3 none; W4 all 7.
    assert figures("nctr_patients", "week") == weeks((approx(4 / 7), 2), (approx(2 / 7), 1), (0, 0), (1, 1))
    # March: 4 + 2 + 8 (24th to 31st) = 14 patient-days over 31 days.
    assert figures("nctr_patients", "month") == {MARCH: (approx(14 / 31), 3)}
    assert figures("nctr_patients", "week", NH) == weeks((approx(4 / 7), 2), (approx(2 / 7), 1), (0, 0), (0, 0))
    assert figures("nctr_patients", "month", OC) == {MARCH: (approx(8 / 31), 1)}


# Right-sizing the emergency bed base ------------------------------------------------------------------


def test_bed_days_saved_add_up_shorter_delays_shorter_stays_and_admissions_avoided():
    # Baselines (benefits/migrations/0004): a delay of 4 days, 6 days from admission to discharge ready, and an
    # avoided admission worth an 8-day stay.
    def discharge(lit, ready, discharged, *, status=ReferralStatus.COMPLETED):
        stay = spell(patient(lit), 3, discharged)
        factories.NctrPeriodFactory(spell=stay, started_on=march(ready))
        if status:
            referred(stay, status=status)

    discharge(NH, 4, 5)  # delay 1: 4 - 1 = 3 saved; ready 1 day after admission: 6 - 1 = 5 saved (W1)
    discharge(NH, 3, 9)  # delay 6: 4 - 6 = -2; ready the day of admission: 6 - 0 = 6 (W1)
    discharge(OC, 10, at(10, 17))  # no delay: 4; ready after 7 days: 6 - 7 = -1 (W2)
    for status in (ReferralStatus.DECLINED, ReferralStatus.REDIRECTED, ReferralStatus.WITHDRAWN, None):
        discharge(OC, 4, 5, status=status)  # OCIT did not take these on (or was never asked)
    closed_episode(patient(), 5, service=Service.UCR, source=Source.GP)  # an admission avoided: 8 days (W1)

    recompute()

    # W1: delays 3 - 2 = 1 (2 stays), stays 5 + 6 = 11 (2 stays), admissions 8 (1 episode): 20 from 5 records.
    # W2: delays 4, stays -1: 3 from 2. No records after W2: no figure (never the baseline).
    assert figures("bed_days_saved_delays", "week") == {W1: (1, 2), W2: (4, 1)}
    assert figures("bed_days_saved_stays", "week") == {W1: (11, 2), W2: (-1, 1)}
    assert figures("bed_days_saved_admissions", "week") == {W1: (8, 1)}
    assert figures("bed_days_saved", "week") == {W1: (20, 5), W2: (3, 2)}
    # March: 5 + 10 + 8 = 23 from 7 records; Newfield House 1 + 11 + 8 = 20; Opal Centre 4 - 1 = 3.
    assert figures("bed_days_saved", "month") == {MARCH: (23, 7)}
    assert figures("bed_days_saved", "month", NH) == {MARCH: (20, 5)}
    assert figures("bed_days_saved", "month", OC) == {MARCH: (3, 2)}
    # Beds released: bed days saved over the days of the period, each part shown; all of OCIT only.
    assert figures("beds_released", "week") == {W1: (approx(20 / 7), 5), W2: (approx(3 / 7), 2)}
    assert figures("beds_released_delays", "week") == {W1: (approx(1 / 7), 2), W2: (approx(4 / 7), 1)}
    assert figures("beds_released_stays", "week") == {W1: (approx(11 / 7), 2), W2: (approx(-1 / 7), 1)}
    assert figures("beds_released_admissions", "week") == {W1: (approx(8 / 7), 1)}
    assert figures("beds_released", "month") == {MARCH: (approx(23 / 31), 7)}
    assert not MetricValue.objects.filter(metric__startswith="beds_released", team__isnull=False).exists()
    # The acute bed-day saving values the days at £346.
    assert figures("acute_bed_day_saving", "week") == {W1: (20 * 346, 5), W2: (3 * 346, 2)}


# Adult social care capacity -------------------------------------------------------------------------


def package(episode, stage, hours, effective_on=None):
    return factories.CarePackageFactory(
        episode=episode,
        stage=stage,
        hours_per_week=Decimal(hours),
        effective_on=effective_on or timezone_date(episode.closed_at or episode.received_at),
    )


def timezone_date(moment):
    return moment.astimezone(LONDON).date()


def test_long_term_hours_started_adds_up_the_end_packages_of_episodes_ending_in_long_term_support():
    def ending(lit, closed, sequel, end_hours):
        episode = closed_episode(patient(lit), closed, sequel=sequel, service=Service.STEP_DOWN_REABLEMENT)
        package(episode, PackageStage.START, "20")
        if end_hours is not None:
            package(episode, PackageStage.END, end_hours)

    ending(NH, 5, Sequel.LONG_TERM_HIGHER, "14")
    ending(NH, 6, Sequel.LONG_TERM_SAME, "7")
    ending(OC, 12, Sequel.LONG_TERM_LOWER, "10.5")
    ending(OC, 12, Sequel.NO_ONGOING_SUPPORT, "0")  # no long-term support
    ending(NH, 12, Sequel.LONG_TERM_SAME, None)  # no end package recorded

    recompute()

    # A week: the hours added up (W1 14 + 7 = 21; W2 10.5). March: 31.5 hours over 31/7 weeks.
    assert figures("long_term_hours_started", "week") == weeks((21, 2), (10.5, 1), (0, 0), (0, 0))
    assert figures("long_term_hours_started", "month") == {MARCH: (approx(7 * 31.5 / 31), 3)}
    assert figures("long_term_hours_started", "week", OC) == weeks((0, 0), (10.5, 1), (0, 0), (0, 0))


def test_short_term_beds_in_use_is_the_mean_number_of_bed_based_episodes_open_each_day():
    def bed(lit, received, closed=None):
        episode = dict(patient=patient(lit), service=Service.BED_BASED, source=Source.WARD)
        if closed:
            return closed_episode(received=at(received, 10), closed=closed, **episode)
        return factories.EpisodeFactory(received_at=at(received, 10), **episode)

    bed(NH, 3, 10)  # 3rd to 9th: 7 days in W1
    bed(NH, 8, 12)  # 8th, 9th in W1; 10th, 11th in W2
    bed(OC, 20)  # still open: 20th to 23rd in W3 (4 days), all of W4, 12 days of March
    factories.EpisodeFactory(patient=patient(), received_at=at(3), service=Service.UCR)  # not a bed

    recompute()

    assert figures("short_term_beds_in_use", "week") == weeks(
        (approx(9 / 7), 2), (approx(2 / 7), 1), (approx(4 / 7), 1), (1, 1)
    )
    # March: 7 + 4 + 12 = 23 bed-days over 31 days.
    assert figures("short_term_beds_in_use", "month") == {MARCH: (approx(23 / 31), 3)}
    # No bed-based episode open: no figure (a saving against the baseline needs records to stand on).
    assert figures("short_term_beds_in_use", "week", NH) == {W1: (approx(9 / 7), 2), W2: (approx(2 / 7), 1)}


def test_care_home_admissions_count_permanent_moves_into_residential_or_nursing_care():
    closed_episode(patient(NH), 5, sequel=Sequel.RESIDENTIAL_CARE)
    closed_episode(patient(OC), 6, sequel=Sequel.NURSING_CARE)
    closed_episode(patient(NH, date_of_birth=datetime.date(1970, 1, 1)), 6, sequel=Sequel.RESIDENTIAL_CARE)  # 55
    closed_episode(patient(TH), 13, sequel=Sequel.NURSING_CARE)
    closed_episode(patient(NH), 5, sequel=Sequel.LONG_TERM_SAME)  # home with care
    closed_episode(patient(NH), 5, sequel=Sequel.OTHER_SHORT_TERM)  # e.g. a short stay to assess: not permanent

    recompute()

    assert figures("care_home_admissions", "week") == weeks((3, 3), (1, 1), (0, 0), (0, 0))
    assert figures("care_home_admissions", "month") == {MARCH: (4, 4)}
    assert figures("care_home_admissions", "week", TH) == weeks((0, 0), (1, 1), (0, 0), (0, 0))


def test_short_term_outcome_is_the_share_of_reablement_leavers_needing_little_or_no_support():
    def leaver(sequel, closed=5, lit=NH, service=Service.STEP_UP_REABLEMENT):
        closed_episode(patient(lit), closed, sequel=sequel, service=service)

    leaver(Sequel.NO_ONGOING_SUPPORT)
    leaver(Sequel.UNIVERSAL_SERVICES, service=Service.STEP_DOWN_REABLEMENT)
    leaver(Sequel.LOW_LEVEL_SUPPORT)
    leaver(Sequel.LONG_TERM_SAME)  # left needing long-term support
    for early in (Sequel.DIED, Sequel.DECLINED, Sequel.ADMITTED_TO_HOSPITAL):
        leaver(early)  # ended early: left out
    leaver(Sequel.NO_ONGOING_SUPPORT, service=Service.UCR)  # not reablement
    leaver(Sequel.OTHER_SHORT_TERM, closed=12, lit=OC)

    recompute()

    # W1: 3 of 4 = 75%; W2: 0 of 1; no leavers after: no figure. March: 3 of 5 = 60%.
    assert figures("short_term_outcome", "week") == {W1: (75, 4), W2: (0, 1)}
    assert figures("short_term_outcome", "month") == {MARCH: (60, 5)}
    assert figures("short_term_outcome", "month", NH) == {MARCH: (75, 4)}
    assert figures("short_term_outcome", "week", OC) == {W2: (0, 1)}


# Resident outcomes and activity ---------------------------------------------------------------------


def test_patients_supported_counts_different_people_starting_an_episode_in_london_time():
    often = patient()
    closed_episode(often, 5, received=at(3, 9), service=Service.UCR)
    factories.EpisodeFactory(patient=often, received_at=at(6), service=Service.THERAPY_AT_HOME)  # same week
    factories.EpisodeFactory(patient=often, received_at=at(12), service=Service.BED_BASED)
    factories.EpisodeFactory(patient=patient(), received_at=at(4), service=Service.UCR)
    # Summer time from 30 March: 23:00 on Sunday 30th (22:00 UTC) is in W4; 00:30 on Monday 31st is still
    # Sunday in UTC but not in W4; 00:30 on Tuesday 1 April is still 31 March in UTC but not in March.
    factories.EpisodeFactory(patient=patient(OC), received_at=at(30, 23), service=Service.UCR)
    factories.EpisodeFactory(patient=patient(OC), received_at=at(31, 0, 30), service=Service.UCR)
    factories.EpisodeFactory(patient=patient(OC), received_at=at(datetime.date(2025, 4, 1), 0, 30), service=Service.UCR)

    recompute()

    # W1: 2 people (one with two episodes); W2: 1; W4: 1. March: 4 different people (not the 1 April one).
    assert figures("patients_supported", "week") == weeks((2, 2), (1, 1), (0, 0), (1, 1))
    assert figures("patients_supported", "month") == {MARCH: (4, 4)}
    assert figures("patients_supported", "month", NH) == {MARCH: (2, 2)}
    assert figures("patients_supported", "week", OC) == weeks((0, 0), (0, 0), (0, 0), (1, 1))


def test_ucr_2_hour_is_the_share_first_seen_by_the_time_due_among_clocks_that_ended():
    def ucr(received, first_contact=None, service=Service.UCR, due_by=None):
        factories.EpisodeFactory(
            patient=patient(),
            service=service,
            received_at=received,
            due_by=due_by or received + datetime.timedelta(hours=2),
            first_contact_at=first_contact,
        )

    ucr(at(4, 10), at(4, 11, 30))  # seen in 1.5 hours: met
    ucr(at(4, 10), at(4, 12))  # seen at exactly 2 hours: met
    ucr(at(5, 10), at(5, 13))  # 3 hours: not met
    ucr(at(5, 10))  # never seen, clock ended: not met
    ucr(at(5, 10), at(5, 10, 30), service=Service.STEP_UP_REABLEMENT)  # not UCR
    ucr(at(12, 10), due_by=datetime.datetime.now(tz=LONDON) + datetime.timedelta(days=1))  # clock still running

    recompute()

    # W1: 2 of 4 = 50%. W2's only referral is still on the clock: no figure.
    assert figures("ucr_2_hour", "week") == {W1: (50, 4)}
    assert figures("ucr_2_hour", "month") == {MARCH: (50, 4)}


def test_therapy_at_home_counts_different_people_with_an_attended_ot_or_physio_visit_at_or_near_home():
    practitioner = factories.UserFactory(discipline="ot", team=factories.teams()[NH])

    def contact(person, day, discipline="ot", location="home", attended=True):
        episode = closed_episode(person, at(day, 13), received=at(3, 9), service=Service.THERAPY_AT_HOME)
        factories.ContactFactory(
            episode=episode,
            practitioner=practitioner,
            at=at(day),
            discipline=discipline,
            location=location,
            attended=attended,
            not_attended_reason="" if attended else "Not in",
        )

    often = patient()
    contact(often, 4)
    contact(often, 5, discipline="physio")  # the same person again that week
    contact(often, 11)
    contact(patient(OC), 6, discipline="physio")
    contact(patient(), 6, location="clinic")  # near home: counts
    contact(patient(), 6, location="phone")  # a call is not therapy at or near home
    contact(patient(), 6, location="ward")  # in hospital
    contact(patient(), 6, attended=False)  # did not happen
    contact(patient(), 6, discipline="nurse")  # not therapy

    recompute()

    # W1: 3 people; W2: 1 (seen before); March: 3 people.
    assert figures("therapy_at_home", "week") == weeks((3, 3), (1, 1), (0, 0), (0, 0))
    assert figures("therapy_at_home", "month") == {MARCH: (3, 3)}
    assert figures("therapy_at_home", "month", OC) == {MARCH: (1, 1)}


def test_referrals_are_counted_by_source_on_the_day_received():
    for source, day in (("gp", 4), ("gp", 9), ("ward", 5), ("ambulance", 11), ("front_door", 18)):
        factories.ReferralFactory(patient=patient(), source=source, received_at=at(day))
    factories.ReferralFactory(patient=patient(), source="gp", received_at=at(31, 0, 30))  # March, not W4

    recompute()

    assert figures("referrals_gp", "week") == weeks((2, 2), (0, 0), (0, 0), (0, 0))
    assert figures("referrals_gp", "month") == {MARCH: (3, 3)}
    assert figures("referrals_ward", "week") == weeks((1, 1), (0, 0), (0, 0), (0, 0))
    assert figures("referrals_ambulance", "week") == weeks((0, 0), (1, 1), (0, 0), (0, 0))
    assert figures("referrals_front_door", "month") == {MARCH: (1, 1)}
    assert figures("referrals_self", "week") == weeks((0, 0), (0, 0), (0, 0), (0, 0))
    assert {f"referrals_{source}" for source in Source.values} <= set(metrics.BY_KEY)


# Assumptions ----------------------------------------------------------------------------------------


def test_a_changed_assumption_applies_only_to_periods_starting_on_or_after_its_effective_date():
    Assumption.objects.create(key="acute_bed_day_cost", effective_from=march(10), value=Decimal("400.00"))
    closed_episode(patient(), 5, service=Service.UCR, source=Source.AMBULANCE)  # avoided: 8 bed days (W1)
    closed_episode(patient(), 12, service=Service.UCR, source=Source.AMBULANCE)  # 8 bed days (W2)

    recompute()

    # W1 (before 10 March) at £346: 8 × 346 = 2,768. W2 starts on 10 March, at £400: 8 × 400 = 3,200.
    assert figures("acute_bed_day_saving", "week") == {W1: (2_768, 1), W2: (3_200, 1)}
    # March started before the change: all of it at £346: 16 × 346 = 5,536.
    assert figures("acute_bed_day_saving", "month") == {MARCH: (5_536, 2)}


# Periods with no records ----------------------------------------------------------------------------


def test_a_period_with_no_records_is_zero_for_counts_and_missing_for_shares_and_averages():
    Team.objects.create(code="new-lit", name="New LIT", base="Somewhere")  # no localities yet
    Team.objects.create(code="old-lit", name="Old LIT", base="Elsewhere", is_active=False)

    recompute()  # nothing but the go-live figure

    for metric in metrics.METRICS:
        if metric.zero_when_empty:
            assert figures(metric.key, "week") == weeks((0, 0), (0, 0), (0, 0), (0, 0)), metric.key
            assert figures(metric.key, "month") == {MARCH: (0, 0)}, metric.key
            assert figures(metric.key, "month", TH) == {MARCH: (0, 0)}, metric.key
            assert figures(metric.key, "month", "new-lit") == {MARCH: (0, 0)}, metric.key
            assert figures(metric.key, "month", "old-lit") == {}, metric.key
    for metric in ("ucr_2_hour", "short_term_outcome", "median_length_of_stay", "mean_delay_days"):
        assert figures(metric, "week") == {}
    # Savings need records: a period without them has no figure, never the whole baseline.
    for metric in metrics.for_area(metrics.Area.FINANCE) + [
        metrics.BY_KEY[key] for key in ("care_hours_saved", "short_term_beds_saved", "long_term_beds_saved")
    ]:
        assert figures(metric.key, "week") == {}, metric.key
        assert figures(metric.key, "month") == {}, metric.key
    # Less than a year of records: no annual rate yet.
    assert figures("care_home_admissions_per_100k", "month") == {}
