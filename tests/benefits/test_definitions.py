"""National definitions, worked by hand: UCR 2-hour (elapsed time, face to face, service hours, both clock
changes), permanent admissions per 100,000 a year, still at home 91 days after hospital discharge,
ambulance handovers within 15/30/60 minutes and the discharge pathway mix.

Summer time in 2025 runs from Sunday 30 March (01:00 UTC) to Sunday 26 October (01:00 UTC).
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pytest import approx

from benefits import services
from benefits.models import ExternalMeasure, MetricValue
from caseload import services as caseload_services
from caseload.models import FollowUp, Locality, Sequel, Service, Source
from discharge.models import Destination
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC
TODAY = datetime.date(2025, 11, 5)
NH, OC, TH = "newfield-house", "opal-centre", "tile-hill"


@pytest.fixture(autouse=True)
def first_record(db):
    """Records from go-live: an ED attendance figure on 1 July 2024."""
    ExternalMeasure.objects.create(measure="ed_attendances", on=datetime.date(2024, 7, 1), value=Decimal(400))


def local(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


def recompute():
    return services.recompute(trigger="command", full=True, today=TODAY)


def figures(metric, period, lit=None):
    rows = MetricValue.objects.filter(metric=metric, period=period)
    rows = rows.filter(team__code=lit) if lit else rows.filter(team__isnull=True)
    return {row.period_start: (row.value, row.records) for row in rows}


def patient(lit=NH, **kwargs):
    return factories.PatientFactory(team=factories.teams()[lit], **kwargs)


def test_ucr_2_hour_counts_referrals_in_service_hours_seen_face_to_face_within_2_elapsed_hours(
    coordinator, practitioner
):
    def ucr(received, *contacts):
        """A UCR referral received at a London time, then contacts: (minutes after, location)."""
        episode = caseload_services.episode_open(
            actor=coordinator, patient=patient(), service=Service.UCR, source=Source.GP, priority="urgent",
            received_at=received,
        )  # fmt: skip
        caseload_services.episode_allocate(actor=coordinator, episode=episode, practitioner=practitioner)
        for minutes, location in contacts:
            caseload_services.contact_record(
                actor=practitioner,
                episode=episode,
                at=received + datetime.timedelta(minutes=minutes),
                duration_minutes=30,
                location=location,
            )

    # The week of 24 March 2025 (the clocks go forward at 01:00 UTC on Sunday the 30th):
    ucr(local(2025, 3, 30, 8, 0), (90, "home"))  # 08:00 BST (07:00 UTC) is in hours; seen in 1.5 h: met
    ucr(local(2025, 3, 30, 7, 30), (30, "home"))  # 07:30 BST is before 8am: out of scope
    ucr(local(2025, 3, 29, 19, 59))  # 19:59 GMT, never seen: not met
    ucr(local(2025, 3, 29, 10, 0), (30, "phone"), (150, "home"))  # a call does not stop the clock: 2.5 h, not met
    ucr(local(2025, 3, 26, 3, 0), (20, "home"))  # 3 am: out of scope
    # The week of 20 October 2025 (the clocks go back at 01:00 UTC on Sunday the 26th):
    ucr(local(2025, 10, 26, 19, 30), (105, "home"))  # 19:30 GMT, seen 1 h 45 later: met
    ucr(local(2025, 10, 26, 20, 0), (30, "home"))  # 20:00 is the end of the service's hours: out of scope
    ucr(local(2025, 10, 25, 8, 0), (120, "clinic"))  # 08:00 BST, seen at exactly 2 elapsed hours: met

    recompute()

    week_of_spring_change, week_of_autumn_change = datetime.date(2025, 3, 24), datetime.date(2025, 10, 20)
    ucr_weeks = figures("ucr_2_hour", "week")
    assert ucr_weeks[week_of_spring_change] == (approx(100 / 3), 3)
    assert ucr_weeks[week_of_autumn_change] == (100, 2)
    assert figures("ucr_2_hour", "month")[datetime.date(2025, 3, 1)] == (approx(100 / 3), 3)


def test_ucr_due_time_is_two_elapsed_hours_whatever_the_clock_does(coordinator):
    spring = caseload_services.episode_open(
        actor=coordinator, patient=patient(), service=Service.UCR, source=Source.GP, priority="urgent",
        received_at=local(2025, 3, 30, 0, 30),
    )  # fmt: skip
    autumn = caseload_services.episode_open(
        actor=coordinator, patient=patient(), service=Service.UCR, source=Source.GP, priority="urgent",
        received_at=local(2025, 10, 26, 0, 30),
    )  # fmt: skip
    # 00:30 GMT + 2 h = 02:30 UTC (03:30 BST); 00:30 BST (23:30 UTC) + 2 h = 01:30 UTC (01:30 GMT).
    assert spring.due_by == datetime.datetime(2025, 3, 30, 2, 30, tzinfo=UTC)
    assert autumn.due_by == datetime.datetime(2025, 10, 26, 1, 30, tzinfo=UTC)


def test_permanent_admissions_per_100000_aged_65_plus_are_an_annual_rate_over_the_last_12_months():
    # Populations aged 65+: Newfield House 20,000, Opal Centre 20,000, Tile Hill 10,000 (shares 0.4, 0.4, 0.2
    # of the 58,000 assumed for all of OCIT).
    for district, population in {"CV1": 12000, "CV6": 8000, "CV2": 15000, "CV3": 5000, "CV4": 10000}.items():
        Locality.objects.filter(postcode_district=district).update(population_65_plus=population)

    def admission(lit, day, **person):
        closed = local(*day, 12)
        factories.EpisodeFactory(
            patient=patient(lit, **person), received_at=closed - datetime.timedelta(days=20), closed_at=closed,
            sequel=Sequel.RESIDENTIAL_CARE,
        )  # fmt: skip

    admission(NH, (2024, 8, 15))
    admission(NH, (2024, 10, 31))  # the day before October 2025's year begins: not in it
    admission(NH, (2025, 2, 10))
    admission(NH, (2025, 7, 20))
    admission(OC, (2025, 3, 3))
    admission(NH, (2025, 4, 1), date_of_birth=datetime.date(1970, 1, 1))  # aged 55: not counted
    admission(TH, (2025, 5, 20), date_of_birth=datetime.date(1960, 5, 10))  # 65 by the move, not at the referral

    recompute()

    months = figures("care_home_admissions_per_100k", "month")
    # October 2025: the year from 1 November 2024 to 1 November 2025 holds 10 Feb, 3 Mar, 20 May (aged 65 on the
    # day of the move) and 20 Jul: 4 a year per 58,000.
    assert months[datetime.date(2025, 10, 1)] == (approx(4 * 100_000 / 58_000), 4)
    # July 2025: the year to 1 August 2025 also holds 15 August and 31 October 2024: 6.
    assert months[datetime.date(2025, 7, 1)] == (approx(6 * 100_000 / 58_000), 6)
    # June 2025 is the first month with a whole year of records behind it (from 1 July 2024); May is not.
    assert min(months) == datetime.date(2025, 6, 1)
    # Each LIT from its own population: Newfield House 2 a year per 23,200; Opal Centre 1; Tile Hill 1 per 11,600.
    october = datetime.date(2025, 10, 1)
    assert figures("care_home_admissions_per_100k", "month", NH)[october] == (approx(2 * 100_000 / 23_200), 2)
    assert figures("care_home_admissions_per_100k", "month", OC)[october] == (approx(100_000 / 23_200), 1)
    assert figures("care_home_admissions_per_100k", "month", TH)[october] == (approx(100_000 / 11_600), 1)


def test_still_at_home_91_days_is_of_people_65_plus_discharged_on_pathway_1_or_2_by_discharge_date():
    def discharged(day, pathway, follow_up, **person):
        factories.SpellFactory(
            patient=patient(**person),
            admitted_at=local(*day, 9) - datetime.timedelta(days=6),
            discharged_at=local(*day, 15),
            pathway=pathway,
            destination=Destination.COMMUNITY_BED if pathway == 2 else Destination.USUAL_RESIDENCE,
            follow_up_91=follow_up,
        )

    july, august = (2025, 7, 8), (2025, 8, 12)
    discharged(july, 1, FollowUp.AT_HOME)
    discharged(july, 2, FollowUp.AT_HOME)  # bed-based rehabilitation counts too
    discharged(july, 1, FollowUp.IN_HOSPITAL)
    discharged(july, 2, FollowUp.CARE_HOME)
    discharged(july, 1, FollowUp.DIED)
    discharged(july, 1, FollowUp.NOT_KNOWN)  # not known: left out
    discharged(july, 1, FollowUp.NOT_DUE)  # not recorded: left out
    discharged(july, 0, FollowUp.AT_HOME)  # pathway 0: no reablement
    discharged(july, 1, FollowUp.AT_HOME, date_of_birth=datetime.date(1970, 1, 1))  # aged 55
    discharged(august, 1, FollowUp.AT_HOME)

    recompute()

    # July's discharges: 2 at home of 5 known = 40%; August's: 1 of 1.
    months = figures("still_at_home_91_days", "month")
    assert months[datetime.date(2025, 7, 1)] == (40, 5)
    assert months[datetime.date(2025, 8, 1)] == (100, 1)


def test_ambulance_handovers_within_15_30_and_60_minutes_from_imported_counts():
    def day(on, handovers, within_15, within_30, within_60):
        for measure, value in (
            ("ambulance_handovers", handovers),
            ("handovers_within_15", within_15),
            ("handovers_within_30", within_30),
            ("handovers_within_60", within_60),
        ):
            ExternalMeasure.objects.create(measure=measure, on=on, value=Decimal(value))

    day(datetime.date(2025, 9, 1), 60, 40, 57, 60)
    day(datetime.date(2025, 9, 2), 40, 30, 39, 39)

    recompute()

    # Week of 1 September: 70 of 100 within 15 minutes, 96 within 30, 99 within 60.
    monday = datetime.date(2025, 9, 1)
    assert figures("handovers_within_15", "week") == {monday: (70, 2)}
    assert figures("handovers_within_30", "week") == {monday: (96, 2)}
    assert figures("handovers_within_60", "week") == {monday: (99, 2)}


def test_handover_days_without_a_total_count_nothing_and_a_zero_total_is_no_figure():
    week = datetime.date(2025, 9, 1)
    ExternalMeasure.objects.create(measure="ambulance_handovers", on=week, value=Decimal(0))
    ExternalMeasure.objects.create(measure="handovers_within_15", on=week, value=Decimal(0))
    ExternalMeasure.objects.create(measure="handovers_within_15", on=datetime.date(2025, 9, 2), value=Decimal(20))
    ExternalMeasure.objects.create(measure="ambulance_handovers", on=datetime.date(2025, 9, 3), value=Decimal(30))

    assert recompute().status == "succeeded"  # a zero total divides nothing

    assert figures("handovers_within_15", "week") == {week: (None, 1)}  # only 1 September has both counts


def test_pathway_mix_is_the_share_of_discharges_on_each_pathway():
    def discharged(pathway, destination=Destination.USUAL_RESIDENCE):
        factories.SpellFactory(
            patient=patient(),
            admitted_at=local(2025, 9, 1, 10),
            discharged_at=local(2025, 9, 3, 15),
            pathway=pathway,
            destination=destination,
        )

    for pathway in [0] * 5 + [1] * 4 + [2]:
        discharged(pathway)
    discharged(None, Destination.DIED)  # died in hospital: no pathway
    discharged(None)  # no pathway recorded

    recompute()

    monday = datetime.date(2025, 9, 1)
    assert figures("pathway_0_share", "week") == {monday: (50, 10)}
    assert figures("pathway_1_share", "week") == {monday: (40, 10)}
    assert figures("pathway_2_share", "week") == {monday: (10, 10)}
    assert figures("pathway_3_share", "week") == {monday: (0, 10)}
