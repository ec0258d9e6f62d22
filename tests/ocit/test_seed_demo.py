"""seed_demo: deterministic synthetic data that looks like Coventry and never like a real person."""

import datetime
import io
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from faker import Faker

from benefits.models import Assumption
from caseload.demo import Weights, choose
from caseload.models import Contact, Episode, Locality, Patient
from discharge.models import Spell, Ward
from ocit import demo
from ocit.identifiers import nhs_number_check_digit, postcode_district
from ocit.management.commands.seed_demo import SEEDED
from ocit.models import ChangeLog, Role, User
from referrals.models import Referral

AS_OF = datetime.date(2026, 6, 1)


def seed(**options):
    call_command("seed_demo", scale="small", seed=7, as_of=AS_OF, force=True, stdout=io.StringIO(), **options)


def snapshot():
    patients = list(
        Patient.objects.order_by("nhs_number", "family_name", "given_name").values_list(
            "nhs_number",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "address",
            "postcode",
            "team__code",
            "created_at",
        )
    )
    spells = list(
        Spell.objects.order_by("patient__nhs_number", "admitted_at").values_list(
            "patient__nhs_number", "ward__code", "admitted_at", "discharged_at"
        )
    )
    staff = list(User.objects.order_by("email").values_list("email", "full_name", "role", "discipline", "team__code"))
    return patients, spells, staff


@pytest.mark.django_db
def test_the_same_seed_gives_identical_data():
    seed()
    first = snapshot()
    seed(replace=True)
    assert snapshot() == first
    assert len(first[0]) == 1_500


@pytest.mark.django_db
def test_every_nhs_number_is_a_valid_999_test_number():
    seed()
    numbers = list(Patient.objects.exclude(nhs_number=None).values_list("nhs_number", flat=True))
    assert numbers
    for number in numbers:
        assert number.startswith("999") and len(number) == 10
        assert nhs_number_check_digit(number[:9]) == int(number[9]), number


@pytest.mark.django_db
def test_patients_are_mostly_older_people_living_in_the_lit_for_their_postcode():
    seed()
    teams = dict(Locality.objects.values_list("postcode_district", "team_id"))
    patients = list(Patient.objects.all())
    over_65 = sum(patient.age_on(AS_OF) >= 65 for patient in patients)
    assert over_65 / len(patients) > 0.75
    assert {postcode_district(patient.postcode) for patient in patients} == {f"CV{n}" for n in range(1, 8)}
    assert all(patient.team_id == teams[postcode_district(patient.postcode)] for patient in patients)


@pytest.mark.django_db
def test_it_creates_twenty_wards_patients_on_them_and_one_login_per_role():
    seed()
    assert Ward.objects.count() == 20
    assert Spell.objects.filter(discharged_at=None).count() == 80
    for role in set(Role) - {Role.INTERFACE}:  # the ADT feed's account is not a person's login
        assert User.objects.filter(email__endswith="@ocit.test", role=role).exists(), role
    ward_user = User.objects.get(email="ward@ocit.test")
    assert ward_user.wards.count() == 2
    assert ChangeLog.objects.filter(actor_label="process:seed_demo", object_type="caseload.patient").exists()


@pytest.mark.django_db
def test_it_refuses_a_non_debug_database_without_force():
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", scale="small", stdout=io.StringIO())
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_it_refuses_to_add_to_existing_patients_unless_asked():
    seed()
    with pytest.raises(CommandError, match="--replace"):
        seed()
    seed(if_empty=True)
    assert Patient.objects.count() == 1_500


@pytest.mark.django_db
def test_nobody_is_visited_at_home_while_they_are_in_hospital():
    seed()
    overlapping = Contact.objects.filter(
        Exists(
            Spell.objects.filter(patient=OuterRef("episode__patient"), admitted_at__lte=OuterRef("at")).filter(
                Q(discharged_at=None) | Q(discharged_at__gt=OuterRef("at"))
            )
        )
    )
    assert Contact.objects.exists()
    assert not overlapping.exists()


@pytest.mark.django_db
def test_a_step_down_episode_starts_at_the_discharge_it_follows():
    seed()
    stepped_down = Referral.objects.filter(
        source="ward", status="completed", episode__isnull=False, spell__discharged_at__isnull=False
    ).select_related("episode", "spell")
    assert stepped_down.exists()
    for referral in stepped_down:
        assert referral.episode.received_at == referral.spell.discharged_at
        assert referral.spell.pathway in (1, 2)


@pytest.mark.django_db
def test_every_decision_has_a_person():
    seed()
    decided = Referral.objects.exclude(status="received")
    assert decided.exists()
    assert not decided.filter(decided_by=None).exists()
    assert not decided.filter(decided_at=None).exists()
    assert not Referral.objects.filter(closed_at__isnull=False, closed_by=None).exists()


@pytest.mark.django_db
def test_someone_pulled_from_the_ward_waits_for_discharge_with_no_clock_running():
    seed()
    waiting = Episode.objects.filter(referrals__spell__discharged_at=None, referrals__spell__isnull=False)
    assert waiting.exists()
    assert set(waiting.values_list("status", flat=True)) == {"awaiting_allocation"}
    assert not waiting.filter(due_by__isnull=False).exists()


@pytest.mark.django_db
def test_discharges_and_home_visits_happen_by_day():
    seed()
    discharges = [
        timezone.localtime(at).hour
        for at in Spell.objects.exclude(discharged_at=None).values_list("discharged_at", flat=True)
    ]
    assert discharges and all(10 <= hour < 20 for hour in discharges)
    # A first visit stays at night only where moving it would change whether the response standard was met.
    visits = [
        timezone.localtime(at).hour
        for at in Contact.objects.exclude(episode__service="ucr").values_list("at", flat=True)
    ]
    assert sum(8 <= hour < 20 for hour in visits) / len(visits) > 0.97


@pytest.mark.django_db
def test_baselines_and_populations_are_scaled_to_the_demo_size():
    seed()  # small: 1,500 patients a year, a quarter of Coventry's 6,000
    assert (
        Assumption.objects.get(key="baseline_long_term_hours", effective_from=datetime.date(2024, 4, 1)).value == 42.5
    )
    assert Locality.objects.get(postcode_district="CV2").population_65_plus == 2750


def test_choose_picks_what_random_choices_would():
    for weighted in [{"a": 1, "b": 3, "c": 6}, {1: 0.5, 2: 40.25, 3: 18, 4: 7}, [("x", 2.5), ("y", 0), ("z", 1e-3)]]:
        pairs = list(weighted.items()) if isinstance(weighted, dict) else weighted
        ours, theirs = random.Random(3), random.Random(3)
        for _ in range(2_000):
            assert choose(ours, Weights(weighted)) == theirs.choices(*zip(*pairs, strict=True))[0]


def test_the_quicker_faker_makes_fakers_own_names():
    ctx = demo.Context.create(scale="small", seed=7, day=AS_OF, password="x")
    plain = Faker("en_GB")
    plain.seed_instance(7)
    names = ["first_name", "first_name_female", "first_name_male", "last_name", "name"]
    for method in [*names, "building_number", "street_name"]:
        assert [getattr(ctx.fake, method)() for _ in range(300)] == [getattr(plain, method)() for _ in range(300)]


@pytest.mark.django_db
def test_the_load_puts_back_every_index_and_foreign_key_it_drops():
    if connection.vendor != "postgresql":
        pytest.skip("Only the PostgreSQL load drops them.")
    tables = [model._meta.db_table for model in SEEDED]

    def indexes_and_keys():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexrelid::regclass::text, indkey::text, indisunique, indpred IS NULL FROM pg_index "
                "WHERE indrelid = ANY(%s::regclass[]) ORDER BY 1",
                [tables],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                "WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1",
                [tables],
            )
            return indexes, cursor.fetchall()

    before = indexes_and_keys()
    seed()
    assert indexes_and_keys() == before
    assert any(definition.startswith("FOREIGN KEY") for _, definition, _ in before[1])


@pytest.mark.postgres
@pytest.mark.django_db
def test_records_made_after_the_load_take_ids_past_the_loaded_ones():
    seed()
    for model in (Patient, Episode, Contact, Spell, Referral):
        loaded = model.objects.order_by("-pk").values_list("pk", flat=True).first()
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table])
            assert cursor.fetchone()[0] > loaded, model
