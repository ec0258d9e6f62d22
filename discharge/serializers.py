from rest_framework import serializers

from discharge.models import Spell, Ward


class WardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ward
        fields = ["id", "code", "name", "specialty", "site", "is_active"]


class SpellSerializer(serializers.ModelSerializer):
    nhs_number = serializers.CharField(source="patient.nhs_number", read_only=True)
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    ward = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Spell
        fields = ["id", "patient", "nhs_number", "patient_name", "ward", "admitted_at", "discharged_at", "version"]
