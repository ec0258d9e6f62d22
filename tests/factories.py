"""Synthetic people only: NHS numbers from the 999 test range, fictional names."""

import datetime
import functools

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from caseload.models import (
    CarePackage,
    Contact,
    ContactLocation,
    Episode,
    EpisodeStatus,
    PackageStage,
    Patient,
    ProviderType,
    Service,
    Source,
    Team,
)
from discharge.models import NctrPeriod, Spell, Ward
from ocit.identifiers import synthetic_nhs_numbers
from ocit.models import User
from referrals.models import Referral

PASSWORD = "correct-horse-battery-staple"
_nhs_numbers = synthetic_nhs_numbers(start=500_000)


@functools.cache
def _hashed(password):
    """Argon2 with the production settings takes a tenth of a second a time: hash each password once per run."""
    return make_password(password)


def teams():
    return {team.code: team for team in Team.objects.all()}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"staff{n}@ocit.test")
    full_name = factory.Faker("name", locale="en_GB")
    role = "lit_practitioner"

    @classmethod
    def _create(cls, model_class, *args, password=PASSWORD, **kwargs):
        user = model_class(**kwargs, password=_hashed(password))
        user.save()
        return user


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"W{n:02d}")
    name = factory.LazyAttribute(lambda ward: f"Ward {ward.code[1:]}")
    specialty = "Care of the elderly"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    nhs_number = factory.LazyFunction(lambda: next(_nhs_numbers))
    given_name = factory.Faker("first_name", locale="en_GB")
    family_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = datetime.date(1942, 3, 14)
    sex = "female"
    address = "1 Test Street, Coventry"
    postcode = "CV6 4DD"
    team = factory.LazyFunction(lambda: Team.objects.get(code="newfield-house"))


class SpellFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Spell

    patient = factory.SubFactory(PatientFactory)
    ward = factory.SubFactory(WardFactory)
    admitted_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=3))


class EpisodeFactory(factory.django.DjangoModelFactory):
    """An episode on the caseload; give `closed_at` and `sequel` together for a closed one."""

    class Meta:
        model = Episode

    patient = factory.SubFactory(PatientFactory)
    team = factory.LazyAttribute(lambda episode: episode.patient.team)
    service = Service.UCR
    source = Source.GP
    received_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    response_standard = "UCR 2-hour"
    due_by = factory.LazyAttribute(lambda episode: episode.received_at + datetime.timedelta(hours=2))
    status = factory.LazyAttribute(lambda episode: EpisodeStatus.CLOSED if episode.closed_at else EpisodeStatus.ACTIVE)
    closed_at = None


class CarePackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CarePackage

    episode = factory.SubFactory(EpisodeFactory)
    stage = PackageStage.START
    effective_on = factory.LazyAttribute(lambda package: timezone.localdate(package.episode.received_at))
    hours_per_week = 10
    calls_per_day = 2
    carers_per_call = 1
    provider_type = ProviderType.INDEPENDENT


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    episode = factory.SubFactory(EpisodeFactory)
    at = factory.LazyAttribute(lambda contact: contact.episode.received_at + datetime.timedelta(hours=1))
    practitioner = factory.SubFactory(
        UserFactory, discipline="ot", team=factory.LazyFunction(lambda: Team.objects.get(code="newfield-house"))
    )
    discipline = factory.LazyAttribute(lambda contact: contact.practitioner.discipline)
    location = ContactLocation.HOME
    duration_minutes = 45
    recorded_by = factory.LazyAttribute(lambda contact: contact.practitioner)


class NctrPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NctrPeriod

    spell = factory.SubFactory(SpellFactory)
    started_on = factory.LazyAttribute(lambda period: timezone.localdate(period.spell.admitted_at))


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    patient = factory.SubFactory(PatientFactory)
    source = Source.GP
    referrer_name = factory.Faker("name", locale="en_GB")
    reason = "Falls at home"
    requested_service = Service.UCR
    received_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    decision_due_by = factory.LazyAttribute(lambda referral: referral.received_at + datetime.timedelta(hours=2))
