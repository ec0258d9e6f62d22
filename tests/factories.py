"""Synthetic people only: NHS numbers from the 999 test range, fictional names."""

import datetime

import factory
from django.utils import timezone

from caseload.models import Patient, Team
from discharge.models import Spell, Ward
from ocit.identifiers import synthetic_nhs_numbers
from ocit.models import User

PASSWORD = "correct-horse-battery-staple"
_nhs_numbers = synthetic_nhs_numbers(start=500_000)


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
        user = model_class(**kwargs)
        user.set_password(password)
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
