from rest_framework import serializers

from caseload.models import Patient


class PatientSerializer(serializers.ModelSerializer):
    lit = serializers.SlugRelatedField(source="team", slug_field="code", read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "nhs_number",
            "nhs_number_unknown_reason",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "address",
            "postcode",
            "lit",
            "version",
        ]
